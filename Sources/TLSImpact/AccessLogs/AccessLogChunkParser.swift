#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What one parsing task found in its part of a file. Line numbers in `summary` count from the
/// part's first line; the reader shifts them.
struct AccessLogChunk: Sendable {
    var facts: [AccessLogFacts: AccessLogTally] = [:]
    var summary = AccessLogSummary()
    /// Lines in the part, empty ones included (for numbering).
    var lineCount = 0
    /// The fields some counted line had a value for.
    var seen = Set<LogField>()
}

/// Reads the lines of one part of a log file: match each against the format, read its time, keep
/// it when inside the window, and count it into its group. Works on the bytes; strings are made
/// per group and for the first few bad lines only.
struct AccessLogChunkParser {
    let format: AccessLogFormat
    let since: Double
    let until: Double
    let zone: TimeZone
    let path: String
    let fileIndex: Int
    let hashAPIKey: @Sendable (String) -> String

    func parse(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> AccessLogChunk {
        var chunk = AccessLogChunk()
        var groups = LogLineGroups()
        var values = LineValues()
        var timestamp = LogTimestamp(format: format.time, zone: zone)
        var errorTimestamp = LogTimestamp(format: .commonLogLocalMilliseconds, zone: zone)
        let trackSeen = format.kind == .envoy
        let fileSeed = ByteHash.mix(ByteHash.seed, UInt64(fileIndex))
        var lineStart = start
        var lineNumber = 0

        func problem(_ reason: String, _ s: Int, _ e: Int) {
            chunk.summary.unparsable += 1
            guard chunk.summary.firstProblems.count < AccessLogSummary.problemsKept else { return }
            let excerpt = String(decoding: UnsafeBufferPointer(start: p + s, count: min(e - s, 160)), as: UTF8.self)
            var pr = AccessLogProblem(path: path, line: lineNumber, reason: reason, excerpt: excerpt)
            pr.fileIndex = fileIndex
            chunk.summary.firstProblems.append(pr)
        }

        while lineStart < end {
            lineNumber += 1
            let lineEnd: Int
            if let nl = memchr(p + lineStart, 0x0A, end - lineStart) {
                lineEnd = UnsafeRawPointer(nl).assumingMemoryBound(to: UInt8.self) - p
            } else {
                lineEnd = end
            }
            defer { lineStart = lineEnd + 1 }
            var e = lineEnd
            while e > lineStart && (p[e - 1] == 0x0D || p[e - 1] == 0x20) { e -= 1 }
            var s = lineStart
            while s < e && (p[s] == 0x20 || p[s] == 0x09) { s += 1 }
            if s == e { continue }
            chunk.summary.lines += 1

            values.reset()
            if format.syslogPrefix { s = SyslogPrefix.messageStart(p, s, e) }
            let matched: Bool
            switch format.lines {
            case .matched(let matcher): matched = matcher.match(p, s, e, &values)
            case .json(let keys): matched = keys.scan(p, s, e, &values)
            }
            if !matched && format.kind == .haproxy, let t = Self.connectionErrorTime(p, s, e) {
                if let time = errorTimestamp.parse(p, t.lowerBound, t.upperBound) {
                    if time >= since && time < until { chunk.summary.connectionErrors += 1 } else { chunk.summary.outsideWindow += 1 }
                    continue
                }
            }
            guard matched else {
                problem(format.kind == .envoy ? "not one JSON object" : "does not match the log format", lineStart, e)
                continue
            }
            if let captures = format.captures, let r = values.range(.headerCaptures) {
                Self.splitCaptures(p, r, captures, &values)
            }
            if format.addressWithPort, let r = values.range(.clientAddress) {
                Self.splitPort(p, r, &values)
            }

            guard let tr = values.range(.time), !Self.isEmpty(p, tr) else {
                problem("no time", lineStart, e)
                continue
            }
            guard var time = timestamp.parse(p, tr.lowerBound, tr.upperBound) else {
                let text = String(decoding: UnsafeBufferPointer(start: p + tr.lowerBound, count: min(tr.count, 40)), as: UTF8.self)
                problem("cannot read the time \"\(text)\"", lineStart, e)
                continue
            }
            if format.time == .epochSeconds, let mr = values.range(.timeMilliseconds),
               let ms = LogTimestamp.epoch(p, mr.lowerBound, mr.upperBound) {
                time += ms / 1000
            }
            if time < since || time >= until {
                chunk.summary.outsideWindow += 1
                continue
            }
            if let vr = values.range(.tlsVersion), Self.isEmpty(p, vr) {
                chunk.summary.withoutTLS += 1
                continue
            }
            for field in LogField.facts {
                if let r = values.range(field) {
                    if Self.isEmpty(p, r) { values.clear(field) } else if trackSeen { chunk.seen.insert(field) }
                }
            }

            var connection: UInt64?
            var newConnection = false
            let address = values.range(.clientAddress)
            let port = values.range(.clientPort).flatMap { Self.isEmpty(p, $0) ? nil : $0 }
            if let id = values.range(.connectionID), !Self.isEmpty(p, id) {
                if trackSeen { chunk.seen.insert(.connectionID) }
                var h = ByteHash.hash(p + id.lowerBound, id.count, into: fileSeed)
                if let address { h = ByteHash.hash(p + address.lowerBound, address.count, into: h) }
                if let port { h = ByteHash.hash(p + port.lowerBound, port.count, into: h) }
                connection = h
            } else if format.counting == .firstRequest, let r = values.range(.connectionRequests) {
                newConnection = r.count == 1 && p[r.lowerBound] == UInt8(ascii: "1")
            } else if let address, let port {
                let h = ByteHash.hash(p + address.lowerBound, address.count, into: fileSeed)
                connection = ByteHash.hash(p + port.lowerBound, port.count, into: h)
            } else {
                newConnection = true
            }
            groups.add(p, values, time: time, connection: connection, newConnection: newConnection)
            chunk.summary.counted += 1
        }
        chunk.lineCount = lineNumber

        chunk.facts = AccessLogFactsDecoder(format: format, hashAPIKey: hashAPIKey).facts(groups)
        return chunk
    }

    /// HAProxy's own line for a connection that failed before a request (configuration manual
    /// §8.2.5, without an error-log-format): `ADDR:PORT [DATE] FRONTEND/BIND: message`. The date's range.
    static func connectionErrorTime(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Range<Int>? {
        var i = s
        var colon = false
        while i < e && p[i] != 0x20 { if p[i] == UInt8(ascii: ":") { colon = true }; i += 1 }
        guard colon, i + 2 < e, p[i + 1] == UInt8(ascii: "[") else { return nil }
        let dateStart = i + 2
        var j = dateStart
        while j < e && p[j] != UInt8(ascii: "]") { j += 1 }
        guard j + 1 < e, p[j + 1] == 0x20 else { return nil }
        var k = j + 2
        var slash = false
        while k < e && p[k] != 0x20 { if p[k] == UInt8(ascii: "/") { slash = true }; k += 1 }
        guard slash, k < e, p[k - 1] == UInt8(ascii: ":") else { return nil }
        return dateStart..<j
    }

    /// `-` or nothing: the log's way of writing "no value".
    @inline(__always)
    static func isEmpty(_ p: UnsafePointer<UInt8>, _ r: Range<Int>) -> Bool {
        r.isEmpty || (r.count == 1 && p[r.lowerBound] == UInt8(ascii: "-"))
    }

    /// `{a|b|c}` → the user agent and API key captures.
    static func splitCaptures(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, _ c: AccessLogFormat.HeaderCaptures,
                              _ values: inout LineValues) {
        guard r.count >= 2, p[r.lowerBound] == UInt8(ascii: "{"), p[r.upperBound - 1] == UInt8(ascii: "}") else { return }
        var index = 0
        var s = r.lowerBound + 1
        let e = r.upperBound - 1
        var k = s
        while true {
            if k == e || p[k] == UInt8(ascii: "|") {
                if index == c.userAgent { values.set(.userAgent, s, k) }
                if index == c.apiKey { values.set(.apiKey, s, k) }
                if k == e { break }
                index += 1
                s = k + 1
            }
            k += 1
        }
    }

    /// `1.2.3.4:5678`, `[::1]:5678` → address and port; an address without a port stays whole.
    static func splitPort(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, _ values: inout LineValues) {
        if p[r.lowerBound] == UInt8(ascii: "[") {
            var k = r.lowerBound + 1
            while k < r.upperBound && p[k] != UInt8(ascii: "]") { k += 1 }
            guard k < r.upperBound else { return }
            values.set(.clientAddress, r.lowerBound + 1, k)
            if k + 1 < r.upperBound && p[k + 1] == UInt8(ascii: ":") { values.set(.clientPort, k + 2, r.upperBound) }
            return
        }
        var colon = -1
        for k in r where p[k] == UInt8(ascii: ":") {
            if colon >= 0 { return }  // IPv6 without brackets: no port
            colon = k
        }
        guard colon >= 0 else { return }
        values.set(.clientAddress, r.lowerBound, colon)
        values.set(.clientPort, colon + 1, r.upperBound)
    }
}
