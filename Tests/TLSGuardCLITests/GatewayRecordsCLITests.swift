import Foundation
import Testing
@testable import TestSupport
import TLSTelemetry

#if canImport(Glibc)
import Glibc
#endif

/// The release gateway loses no record: N connections of every kind (accepted, refused, not TLS)
/// are N rows while it runs, across SIGHUP, and after SIGTERM; `/metrics` and `/healthz` agree.
@Suite("tlsguard gateway records", .serialized)
struct GatewayRecordsCLITests {
    /// A gateway process with an admin listener, started with SIGHUP and SIGTERM unblocked.
    struct RunningGateway {
        var process: Process
        var port: Int
        var adminPort: Int
        var database: String

        static func start(mode: String) throws -> RunningGateway {
            let port = try TestSocket.freePort()
            let adminPort = try TestSocket.freePort()
            let (directory, path) = try GatewayCLITests.makeConfig(
                port: port, upstreamPort: try closedPort(), mode: mode, extra: "admin: {address: \"127.0.0.1:\(adminPort)\"}")
            let process = try CLI.launch(["gateway", "--config", path, "--log-level", "error"])
            let gateway = RunningGateway(process: process, port: port, adminPort: adminPort,
                                         database: directory.appendingPathComponent("records.sqlite").path)
            // The admin listener binds after the TLS listeners: once it answers, everything is up.
            for _ in 0..<200 where (try? gateway.admin("/healthz").status) != 200 { usleep(50_000) }
            return gateway
        }

        func admin(_ path: String) throws -> (status: Int, body: String) {
            let r = try TestProcess.run("/usr/bin/curl", ["-sS", "--max-time", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(adminPort)\(path)"], timeout: 10)
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }

        /// Rows in the database now (read while the gateway writes: WAL readers never wait).
        func rows() throws -> Int { try TelemetryStore(path: database).connections().count }

        /// Polls for `count` rows for at most `seconds`.
        func waitForRows(_ count: Int, seconds: Double) throws -> Int {
            let deadline = Date().addingTimeInterval(seconds)
            var n = try rows()
            while n < count && Date() < deadline {
                usleep(20_000)
                n = try rows()
            }
            return n
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            TestChildProcesses.unregister(process.processIdentifier)
        }
    }

    /// One round of connections: accepted (TLS 1.3, one request each, answered 502 for want of an
    /// upstream), refused (TLS 1.0 under enforce) and not TLS. Returns the connections made.
    func mixedRound(_ port: Int, each: Int) throws -> Int {
        for _ in 0..<each {
            _ = try TestHTTPS.curl(port: port, tls: "1.3", timeout: 5)
            _ = try TestHTTPS.sClient(port: port, versionFlag: "-tls1")
            try TestSocket.sendAndClose(port: port, Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        }
        return 3 * each
    }

    @Test("N mixed connections are N rows within a second, after SIGHUP, and after SIGTERM")
    func everyConnectionIsARow() throws {
        try TestTools.requireOpenSSL()
        let gateway = try RunningGateway.start(mode: "enforce")
        defer { gateway.stop() }
        #expect(try gateway.admin("/healthz").status == 200)

        var expected = try mixedRound(gateway.port, each: 10)
        #expect(try gateway.waitForRows(expected, seconds: 1) == expected, "rows within a second of the last connection")
        // Written records are connection rows, one request row per accepted connection, and the
        // two distinct hellos (curl's TLS 1.3 one, s_client's TLS 1.0 one) stored once each.
        let written = expected + 10 + 2
        let metrics = try gateway.admin("/metrics").body
        #expect(metrics.contains("tlsguard_records_written_total \(written)\n"), "\(metrics)")
        #expect(metrics.contains("tlsguard_records_dropped_total 0"))
        #expect(metrics.contains("tlsguard_records_failed_total 0"))
        #expect(metrics.contains("tlsguard_records_queued 0"))
        #expect(metrics.contains("tlsguard_records_writer_healthy 1"))
        let health = try gateway.admin("/healthz")
        #expect(health.status == 200)
        #expect(health.body.contains("\"records\":{\"dropped\":0,\"failed\":0,\"queued\":0,\"status\":\"ok\",\"written\":\(written)}"), "\(health.body)")

        kill(gateway.process.processIdentifier, SIGHUP)
        expected += try mixedRound(gateway.port, each: 3)
        #expect(try gateway.waitForRows(expected, seconds: 1) == expected)

        // The last round goes straight into SIGTERM: what was queued is written before exit.
        expected += try mixedRound(gateway.port, each: 3)
        kill(gateway.process.processIdentifier, SIGTERM)
        for _ in 0..<200 where gateway.process.isRunning { usleep(50_000) }
        #expect(!gateway.process.isRunning)
        #expect(gateway.process.terminationStatus == 0)
        #expect(try gateway.rows() == expected)
        let outcomes = try TelemetryStore(path: gateway.database).connections().map(\.outcome)
        #expect(outcomes.filter { $0 == "accepted" }.count == 16)
        #expect(outcomes.filter { $0 == "refused" }.count == 16)
        #expect(outcomes.filter { $0 == "malformed" }.count == 16)
        #expect(try TelemetryStore(path: gateway.database).requests().count == 16)
    }
}
