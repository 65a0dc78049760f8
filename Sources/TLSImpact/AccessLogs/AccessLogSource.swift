import Foundation
import NIOConcurrencyHelpers
import TLSGateway
import TLSTelemetry

/// Proxies' access logs (nginx, HAProxy, Envoy) as a source for `tlsguard impact`: the lines in a
/// window, aggregated into one `ImpactObservation` per distinct set of facts.
///
/// A log says less than the gateway's records, and the source says what: `limitations` holds the
/// sentences the report must show for this kind and format (and, after a read, for the lines it
/// could not use). A fact the format does not log stays nil. Values are in the records' naming
/// (`TLSv1.0`, IANA suite and group names); API keys are stored as `sha256:<hex>`, as the
/// gateway's default `apiKeyStorage: hashed` does, so the policy's API-key exceptions match them.
/// docs/impact-logs.md has the formats to configure.
public struct AccessLogSource: ImpactSource {
    /// Which proxy wrote the logs.
    public let kind: AccessLogKind
    /// The log files, read in this order (problems are reported in it).
    public let paths: [String]
    /// The format as given (nil: the kind's default).
    public let format: String?
    /// Where the API key is, as given (nil: the logs have none).
    public let apiKeyField: String?
    /// The zone of times logged without one (HAProxy's `%tr` and `%t`): this machine's by default.
    public var timeZone: TimeZone = .current

    let compiled: AccessLogFormat
    private let lastRead = LastRead()

    /// Checks that every file can be read and compiles the format; throws an `AccessLogError`
    /// naming the file or the format otherwise.
    ///
    /// - `format`: nginx: the `log_format` value (default `combined`); HAProxy: the `log-format`
    ///   (default `option httplog`'s), optionally preceded by `hr={User-Agent|X-API-Key}` naming
    ///   the captured request headers; Envoy: `field=key,…` renaming the default JSON keys.
    /// - `apiKeyField`: where the API key is: nginx a variable (`$http_x_api_key`) or header name;
    ///   HAProxy a captured header's name; Envoy the JSON key.
    public init(kind: AccessLogKind, paths: [String], format: String?, apiKeyField: String?) throws {
        guard !paths.isEmpty else {
            throw AccessLogError(code: .noFiles, path: nil, detail: "no \(kind.rawValue) access log given")
        }
        for path in paths { try Self.check(path) }
        self.kind = kind
        self.paths = paths
        self.format = format
        self.apiKeyField = apiKeyField.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        switch kind {
        case .nginx: compiled = try NginxLogFormat.compile(format, apiKeyField: self.apiKeyField)
        case .haproxy: compiled = try HAProxyLogFormat.compile(format, apiKeyField: self.apiKeyField)
        case .envoy: compiled = try EnvoyLogFormat.compile(format, apiKeyField: self.apiKeyField)
        }
    }

    /// `nginx access log /var/log/nginx/access.log` (`… and 2 more` for several files).
    public var sourceDescription: String {
        let more = paths.count > 1 ? " and \(paths.count - 1) more" : ""
        return "\(kind.rawValue) access log \(paths[0])\(more)"
    }

    /// What the report must say this source cannot show: the format's gaps, then what the last
    /// read could not use (unparsable lines, requests without TLS, fields no line had).
    public var limitations: [String] {
        var out = compiled.limitations
        guard let last = lastRead.value else { return out }
        if kind == .envoy, case .json(let keys) = compiled.lines {
            for (field, key) in keys.keys where !last.seen.contains(field) && field != .time {
                if let sentence = EnvoyLogFormat.missing(field, key: String(decoding: key, as: UTF8.self)) {
                    out.append(sentence)
                }
            }
        }
        let s = last.summary
        if s.unparsable > 0, let first = s.firstProblems.first {
            out.append("\(s.unparsable) of \(s.lines) lines could not be read and are left out (the first: \(first))")
        }
        if s.connectionErrors > 0 {
            out.append("\(s.connectionErrors) connections in the window failed before a request (HAProxy's connection-error "
                + "lines, such as a failed handshake): they carry no version and are not judged")
        }
        if s.withoutTLS > 0 {
            out.append("\(s.withoutTLS) requests in the window did not come over TLS and are left out")
        }
        return out
    }

    /// The unparsable lines of the last read: the first few, by file and line number, then a count.
    public var problems: [String] {
        guard let s = lastRead.value?.summary, s.unparsable > 0 else { return [] }
        var out = s.firstProblems.map(\.description)
        if s.unparsable > s.firstProblems.count {
            out.append("… and \(s.unparsable - s.firstProblems.count) more lines that could not be read")
        }
        return out
    }

    /// The counts of the last read (nil before one).
    public var lastSummary: AccessLogSummary? { lastRead.value?.summary }

    /// Reads every file and returns the window's observations with what the read saw.
    public func read(since: Date, until: Date) async throws -> AccessLogReading {
        for path in paths { try Self.check(path) }
        let r = try await AccessLogReader.read(
            paths: paths, format: compiled, since: since, until: until, zone: timeZone,
            hashAPIKey: { "sha256:" + APIKeyHash.sha256Hex($0) })
        let source = kind.rawValue
        let observations = r.facts.map { facts, tally in
            ImpactObservation(
                source: source, serverName: facts.serverName, clientAddress: facts.clientAddress,
                negotiatedVersion: facts.negotiatedVersion, cipherSuite: facts.cipherSuite,
                offeredSuites: facts.offeredSuites, offeredGroups: facts.offeredGroups, ja3: facts.ja3, ja4: facts.ja4,
                apiKey: facts.apiKey, userAgent: facts.userAgent, outcome: "accepted",
                connections: tally.connectionCount, requests: tally.requests,
                firstSeen: Date(timeIntervalSince1970: tally.first), lastSeen: Date(timeIntervalSince1970: tally.last))
        }.sorted(by: Self.order)
        lastRead.value = LastRead.Value(summary: r.summary, seen: r.seen, since: since, until: until, observations: observations)
        return AccessLogReading(observations: observations, summary: r.summary, limitations: limitations)
    }

    /// The window's observations (`read(since:until:)` without the counts). The files are read
    /// once per window: the analysis asks for its classes, then for some of them again.
    public func impactObservations(since: Date, until: Date, helloHashes: Set<String>?) async throws -> [ImpactObservation] {
        let observations: [ImpactObservation]
        if let last = lastRead.value, last.since == since, last.until == until {
            observations = last.observations
        } else {
            observations = try await read(since: since, until: until).observations
        }
        guard let helloHashes else { return observations }
        return observations.filter { helloHashes.contains($0.helloHash ?? "") }
    }

    /// Logs hold no ClientHellos.
    public func clientHellos(hashes: Set<String>) async throws -> [String: ClientHelloRecord] { [:] }

    // MARK: -

    /// The file exists, is a regular file, can be opened and is not gzip-compressed.
    static func check(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AccessLogError(code: .unreadableFile, path: path, detail: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw AccessLogError(code: .unreadableFile, path: path, detail: "is a directory, not a log file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AccessLogError(code: .unreadableFile, path: path, detail: "cannot be opened for reading (permission denied?)")
        }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 2)) ?? Data()
        if magic == Data([0x1F, 0x8B]) {
            throw AccessLogError(code: .compressedFile, path: path, detail:
                "is gzip-compressed (a rotated log): decompress it first, e.g. zcat \(path) > \(path.hasSuffix(".gz") ? String(path.dropLast(3)) : path + ".log")")
        }
    }

    /// Earliest first, then by the facts, so the order does not depend on the parallel parts.
    static func order(_ a: ImpactObservation, _ b: ImpactObservation) -> Bool {
        if a.firstSeen != b.firstSeen { return a.firstSeen < b.firstSeen }
        func key(_ o: ImpactObservation) -> [String] {
            [o.clientAddress, o.serverName, o.negotiatedVersion, o.cipherSuite, o.userAgent, o.apiKey, o.ja4, o.ja3,
             o.offeredSuites, o.offeredGroups].map { $0 ?? "" }
        }
        return key(a).lexicographicallyPrecedes(key(b))
    }

    /// What the last read saw, shared by the copies of a source (it is a value type the analysis
    /// holds as `any ImpactSource`, and reads `limitations` after `impactObservations`).
    final class LastRead: Sendable {
        struct Value: Sendable {
            var summary: AccessLogSummary
            var seen: Set<LogField>
            var since: Date
            var until: Date
            var observations: [ImpactObservation]
        }

        private let box = NIOLockedValueBox<Value?>(nil)

        var value: Value? {
            get { box.withLockedValue { $0 } }
            set { box.withLockedValue { $0 = newValue } }
        }
    }
}

/// One read of access logs: the observations, the counts, and the limitations to report.
public struct AccessLogReading: Sendable {
    /// One per distinct set of facts, earliest first.
    public var observations: [ImpactObservation]
    /// Lines read, counted, left out, and the first unparsable ones.
    public var summary: AccessLogSummary
    /// `AccessLogSource.limitations` after this read.
    public var limitations: [String]
}
