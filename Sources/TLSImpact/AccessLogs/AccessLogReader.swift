import Foundation

/// Reads access-log files in parallel parts and merges what the parts found.
///
/// A file is mapped, not read into memory; it is cut into as many parts as there are cores (at
/// line boundaries, at least 1 MiB each) and each part is parsed by its own task.
enum AccessLogReader {
    struct Result: Sendable {
        var facts: [AccessLogFacts: AccessLogTally] = [:]
        var summary = AccessLogSummary()
        var seen = Set<LogField>()
    }

    static let minimumPartSize = 1 << 20

    static func read(paths: [String], format: AccessLogFormat, since: Date, until: Date, zone: TimeZone,
                     hashAPIKey: @escaping @Sendable (String) -> String) async throws -> Result {
        let files = try paths.map { path in (path, try map(path)) }
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var parts: [(file: Int, part: Int, range: Range<Int>)] = []
        for (f, (_, data)) in files.enumerated() {
            for (k, r) in split(data, into: max(1, min(cores, data.count / minimumPartSize))).enumerated() {
                parts.append((f, k, r))
            }
        }
        let chunks = try await withThrowingTaskGroup(of: (Int, Int, AccessLogChunk).self) { group in
            for part in parts {
                let (path, data) = files[part.file]
                let parser = AccessLogChunkParser(
                    format: format, since: since.timeIntervalSince1970, until: until.timeIntervalSince1970, zone: zone,
                    path: path, fileIndex: part.file, hashAPIKey: hashAPIKey)
                group.addTask {
                    let chunk = data.withUnsafeBytes { raw -> AccessLogChunk in
                        guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return AccessLogChunk() }
                        return parser.parse(base, part.range.lowerBound, part.range.upperBound)
                    }
                    return (part.file, part.part, chunk)
                }
            }
            var all: [(Int, Int, AccessLogChunk)] = []
            for try await c in group { all.append(c) }
            return all.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        }

        var result = Result()
        result.facts.reserveCapacity(chunks.map(\.2.facts.count).max() ?? 0)
        var file = -1
        var lineOffset = 0
        for (f, _, chunk) in chunks {
            if f != file {
                file = f
                lineOffset = 0
            }
            var summary = chunk.summary
            for i in summary.firstProblems.indices { summary.firstProblems[i].line += lineOffset }
            result.summary.merge(summary)
            lineOffset += chunk.lineCount
            result.seen.formUnion(chunk.seen)
            for (facts, tally) in chunk.facts {
                if result.facts[facts] == nil { result.facts[facts] = tally } else { result.facts[facts]!.merge(tally) }
            }
        }
        return result
    }

    /// The file's bytes, mapped.
    static func map(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw AccessLogError(code: .unreadableFile, path: path, detail: "cannot read the file (\(reason(error)))")
        }
    }

    /// Ranges of about equal size, each ending after a newline (the last at the end).
    static func split(_ data: Data, into count: Int) -> [Range<Int>] {
        guard count > 1 else { return [0..<data.count] }
        return data.withUnsafeBytes { raw -> [Range<Int>] in
            let p = raw.bindMemory(to: UInt8.self)
            var out: [Range<Int>] = []
            var start = 0
            for k in 1..<count {
                var cut = max(start, data.count * k / count)
                while cut < data.count && p[cut] != 0x0A { cut += 1 }
                if cut < data.count { cut += 1 }
                if cut > start {
                    out.append(start..<cut)
                    start = cut
                }
            }
            if start < data.count || out.isEmpty { out.append(start..<data.count) }
            return out
        }
    }

    /// A short reason from a Foundation file error.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let s = strerror(Int32(underlying.code)) {
            return String(cString: s)
        }
        if ns.domain == NSPOSIXErrorDomain, let s = strerror(Int32(ns.code)) { return String(cString: s) }
        return ns.localizedDescription
    }
}
