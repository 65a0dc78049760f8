import Foundation
import Testing
import TLSGateway
@testable import TestSupport
@testable import TLSImpact
import TLSTelemetry

/// Log files for the tests, in the per-process scratch directory.
enum AccessLogFixture {
    static func file(_ lines: [String], name: String = "access.log") throws -> String {
        let dir = try TestScratch.makeDirectory(prefix: "accesslog")
        let path = dir.appendingPathComponent(name).path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func read(_ kind: AccessLogKind, _ lines: [String], format: String?, apiKeyField: String? = nil,
                     since: Date = .distantPast, until: Date = .distantFuture,
                     zone: TimeZone? = nil) async throws -> (AccessLogSource, AccessLogReading) {
        var source = try AccessLogSource(kind: kind, paths: [try file(lines)], format: format, apiKeyField: apiKeyField)
        if let zone { source.timeZone = zone }
        let reading = try await source.read(since: since, until: until)
        return (source, reading)
    }

    static func date(_ iso: String) -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: iso) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: iso)!
    }

    static func hashed(_ key: String) -> String { "sha256:" + APIKeyHash.sha256Hex(key) }

    /// A small nginx format with the TLS variables and $connection.
    static let nginxFormat =
        #"$remote_addr [$time_iso8601] "$request" $status c=$connection v=$ssl_protocol s=$ssl_cipher sni=$ssl_server_name ua="$http_user_agent""#

    static func nginxLine(_ time: String, connection: Int, version: String = "TLSv1.2", address: String = "192.0.2.1",
                          ua: String = "client/1.0") -> String {
        #"\#(address) [\#(time)] "GET / HTTP/1.1" 200 c=\#(connection) v=\#(version) s=ECDHE-RSA-AES128-GCM-SHA256 sni=api.example ua="\#(ua)""#
    }
}

@Suite("Access logs: files, window, aggregation, bad lines")
struct AccessLogSourceTests {
    @Test func missingFileIsAOneLineErrorNamingIt() throws {
        let path = try TestScratch.makeDirectory(prefix: "accesslog").appendingPathComponent("nope.log").path
        let error = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .nginx, paths: [path], format: nil, apiKeyField: nil)
        }
        #expect(error?.code == .unreadableFile)
        #expect(error?.description == "\(path): no such file")
        #expect(error?.description.contains("\n") == false)
    }

    @Test func directoryEmptyListAndGzipAreErrors() throws {
        let dir = try TestScratch.makeDirectory(prefix: "accesslog")
        #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .haproxy, paths: [dir.path], format: nil, apiKeyField: nil)
        }
        let none = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .envoy, paths: [], format: nil, apiKeyField: nil)
        }
        #expect(none?.code == .noFiles)
        let gz = dir.appendingPathComponent("access.log.1.gz").path
        _ = FileManager.default.createFile(atPath: gz, contents: Data([0x1F, 0x8B, 0x08, 0x00]))
        let compressed = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .nginx, paths: [gz], format: nil, apiKeyField: nil)
        }
        #expect(compressed?.code == .compressedFile)
        #expect(compressed?.description.hasPrefix(gz + ": is gzip-compressed") == true)
    }

    @Test(.enabled(if: getuid() != 0, "root can read a file without read permission"))
    func unreadableFileIsAnError() throws {
        let path = try AccessLogFixture.file(["x"])
        chmod(path, 0)
        defer { chmod(path, 0o644) }
        let error = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .nginx, paths: [path], format: nil, apiKeyField: nil)
        }
        #expect(error?.code == .unreadableFile)
    }

    @Test func onlyLinesInTheWindowCountSinceInclusiveUntilExclusive() async throws {
        let lines = [
            AccessLogFixture.nginxLine("2026-03-01T09:59:59+00:00", connection: 1),
            AccessLogFixture.nginxLine("2026-03-01T10:00:00+00:00", connection: 2),
            AccessLogFixture.nginxLine("2026-03-01T10:30:00+01:00", connection: 3),  // 09:30 UTC: outside
            AccessLogFixture.nginxLine("2026-03-01T11:59:59+00:00", connection: 4),
            AccessLogFixture.nginxLine("2026-03-01T12:00:00+00:00", connection: 5),
        ]
        let (_, r) = try await AccessLogFixture.read(
            .nginx, lines, format: AccessLogFixture.nginxFormat,
            since: AccessLogFixture.date("2026-03-01T10:00:00Z"), until: AccessLogFixture.date("2026-03-01T12:00:00Z"))
        #expect(r.summary.lines == 5)
        #expect(r.summary.counted == 2)
        #expect(r.summary.outsideWindow == 3)
        let o = try #require(r.observations.first)
        #expect(r.observations.count == 1)
        #expect(o.connections == 2)
        #expect(o.requests == 2)
        #expect(o.firstSeen == AccessLogFixture.date("2026-03-01T10:00:00Z"))
        #expect(o.lastSeen == AccessLogFixture.date("2026-03-01T11:59:59Z"))
    }

    @Test func oneObservationPerDistinctSetOfFacts() async throws {
        let lines = [
            AccessLogFixture.nginxLine("2026-03-01T10:00:00+00:00", connection: 7),
            AccessLogFixture.nginxLine("2026-03-01T10:00:01+00:00", connection: 7),
            AccessLogFixture.nginxLine("2026-03-01T10:00:02+00:00", connection: 8),
            AccessLogFixture.nginxLine("2026-03-01T10:00:03+00:00", connection: 9, version: "TLSv1"),
            AccessLogFixture.nginxLine("2026-03-01T10:00:04+00:00", connection: 9, version: "TLSv1"),
            AccessLogFixture.nginxLine("2026-03-01T10:00:05+00:00", connection: 10, ua: "other/2"),
            AccessLogFixture.nginxLine("2026-03-01T10:00:06+00:00", connection: 8),
        ]
        let (_, r) = try await AccessLogFixture.read(.nginx, lines, format: AccessLogFixture.nginxFormat)
        #expect(r.observations.count == 3)
        let tls12 = try #require(r.observations.first { $0.negotiatedVersion == "TLSv1.2" && $0.userAgent == "client/1.0" })
        #expect(tls12.requests == 4)
        #expect(tls12.connections == 2)  // serials 7 and 8 from one address
        let tls10 = try #require(r.observations.first { $0.negotiatedVersion == "TLSv1.0" })
        #expect(tls10.requests == 2)
        #expect(tls10.connections == 1)
        #expect(tls10.source == "nginx")
        #expect(tls10.outcome == "accepted")
        #expect(tls10.maxOfferedVersion == nil)
        #expect(tls10.offeredVersions == nil)
        #expect(tls10.helloHash == nil)
        #expect(tls10.cipherSuite == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        #expect(tls10.serverName == "api.example")
        #expect(tls10.clientAddress == "192.0.2.1")
        #expect(r.observations.map(\.requests).reduce(0, +) == 7)
    }

    @Test func badLinesAreSkippedWithTheirLineNumbersAndTheRestIsRead() async throws {
        let lines = [
            AccessLogFixture.nginxLine("2026-03-01T10:00:00+00:00", connection: 1),
            "garbage that matches nothing",
            "",
            AccessLogFixture.nginxLine("2026-03-01T10:00:01+00:00", connection: 2),
            AccessLogFixture.nginxLine("2026-13-45T10:00:01+00:00", connection: 3),
            AccessLogFixture.nginxLine("2026-03-01T10:00:02+00:00", connection: 4),
        ]
        let (source, r) = try await AccessLogFixture.read(.nginx, lines, format: AccessLogFixture.nginxFormat)
        #expect(r.summary.lines == 5)
        #expect(r.summary.counted == 3)
        #expect(r.summary.unparsable == 2)
        #expect(r.summary.firstProblems.map(\.line) == [2, 5])
        #expect(r.summary.firstProblems[0].reason == "does not match the log format")
        #expect(r.summary.firstProblems[1].reason.hasPrefix("cannot read the time \"2026-13-45T10:00:01+00:00\""))
        #expect(source.problems.count == 2)
        #expect(source.problems[0].hasSuffix("access.log:2: does not match the log format: garbage that matches nothing"))
        #expect(source.limitations.contains { $0.hasPrefix("2 of 5 lines could not be read and are left out") })
        #expect(r.observations.map(\.requests).reduce(0, +) == 3)
    }

    @Test func manyProblemsKeepTheFirstTenAndACount() async throws {
        let lines = (0..<25).map { "bad \($0)" } + [AccessLogFixture.nginxLine("2026-03-01T10:00:00+00:00", connection: 1)]
        let (source, r) = try await AccessLogFixture.read(.nginx, lines, format: AccessLogFixture.nginxFormat)
        #expect(r.summary.unparsable == 25)
        #expect(r.summary.firstProblems.count == 10)
        #expect(source.problems.count == 11)
        #expect(source.problems.last == "… and 15 more lines that could not be read")
        #expect(r.observations.count == 1)
    }

    @Test func aLargeFileIsReadInPartsWithExactLineNumbers() async throws {
        // Over 2 MiB, so it is cut into parts on a machine with two cores or more.
        var lines: [String] = []
        for i in 0..<12_000 {
            lines.append(AccessLogFixture.nginxLine(
                "2026-03-01T10:00:00+00:00", connection: i / 3, ua: "client/\(i % 7) " + String(repeating: "x", count: 120)))
        }
        lines[9_001] = "broken line"
        let path = try AccessLogFixture.file(lines)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count > 2 * AccessLogReader.minimumPartSize)
        #expect(AccessLogReader.split(data, into: 4).count == 4)
        let source = try AccessLogSource(kind: .nginx, paths: [path], format: AccessLogFixture.nginxFormat, apiKeyField: nil)
        let r = try await source.read(since: .distantPast, until: .distantFuture)
        #expect(r.summary.firstProblems.map(\.line) == [9_002])
        #expect(r.summary.counted == 11_999)
        #expect(r.observations.count == 7)
        #expect(r.observations.map(\.requests).reduce(0, +) == 11_999)
        // Connections are serials: 4,000 of them, each of one user agent in most cases; a connection
        // split across two groups counts in both, never twice in one.
        let connections = r.observations.map(\.connections).reduce(0, +)
        #expect(connections >= 4_000 && connections <= 12_000)
    }

    @Test func anEmptyFileHasNothing() async throws {
        let path = try TestScratch.makeDirectory(prefix: "accesslog").appendingPathComponent("empty.log").path
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let source = try AccessLogSource(kind: .haproxy, paths: [path], format: nil, apiKeyField: nil)
        let r = try await source.read(since: .distantPast, until: .distantFuture)
        #expect(r.observations.isEmpty)
        #expect(r.summary == AccessLogSummary())
        #expect(source.problems.isEmpty)
    }

    @Test func partsEndAtLineBreaks() throws {
        let data = Data("aaa\nbbbb\ncc\nd".utf8)
        let parts = AccessLogReader.split(data, into: 3)
        #expect(parts.first?.lowerBound == 0)
        #expect(parts.last?.upperBound == data.count)
        for (a, b) in zip(parts, parts.dropFirst()) {
            #expect(a.upperBound == b.lowerBound)
            #expect(data[a.upperBound - 1] == 0x0A)
        }
    }

    @Test func severalFilesAreOneSourceAndLinesAreNumberedPerFile() async throws {
        let a = try AccessLogFixture.file([AccessLogFixture.nginxLine("2026-03-01T10:00:00+00:00", connection: 1)], name: "a.log")
        let b = try AccessLogFixture.file(["oops", AccessLogFixture.nginxLine("2026-03-01T10:00:00+00:00", connection: 1)], name: "b.log")
        let source = try AccessLogSource(kind: .nginx, paths: [a, b], format: AccessLogFixture.nginxFormat, apiKeyField: nil)
        #expect(source.sourceDescription == "nginx access log \(a) and 1 more")
        let r = try await source.read(since: .distantPast, until: .distantFuture)
        // Serial 1 in two files: two connections.
        #expect(r.observations.count == 1)
        #expect(r.observations[0].connections == 2)
        #expect(r.summary.firstProblems.map { "\($0.path):\($0.line)" } == ["\(b):1"])
    }

    @Test func aSourceHasNoHellosAndReportsThroughTheProtocol() async throws {
        let path = try AccessLogFixture.file([AccessLogFixture.nginxLine("2026-03-01T10:00:00+00:00", connection: 1)])
        let source: any ImpactSource = try AccessLogSource(kind: .nginx, paths: [path], format: AccessLogFixture.nginxFormat,
                                                           apiKeyField: nil)
        let hellos = try await source.clientHellos(hashes: ["abc"])
        #expect(hellos.isEmpty)
        let observations = try await source.impactObservations(since: .distantPast, until: .distantFuture)
        #expect(observations.count == 1)
        #expect(source.sourceDescription == "nginx access log \(path)")
    }

    @Test func limitationsNameWhatTheFormatLacks() throws {
        let path = try AccessLogFixture.file(["x"])
        let source = try AccessLogSource(kind: .nginx, paths: [path], format: AccessLogFixture.nginxFormat, apiKeyField: nil)
        let l = source.limitations
        #expect(l.contains { $0.hasPrefix("refused handshakes are not in an access log") })
        #expect(l.contains("the offered maximum version is not logged: judged by the negotiated version, which is a lower bound when the server's own maximum is lower"))
        #expect(l.contains("no $ssl_ciphers in the format: cipher tightening cannot be judged"))
        #expect(l.contains("no $ssl_curves in the format: changes to the key-exchange groups cannot be judged"))
        #expect(l.contains("no API-key field was given: requests cannot be told apart by API key"))
        #expect(l.contains { $0.hasPrefix("connections are counted by nginx's $connection serial") })
        #expect(!l.contains { $0.contains("$ssl_protocol") })
    }
}
