import Foundation
import NIOCore
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// Servers that answer every hello with something broken. The scan must finish quickly, name the
/// problem, and never crash or hang.
/// "Never hangs" is the suite's time limit, not a wall-clock assertion (timing belongs in benchmarks).
@Suite("hostile servers", .timeLimit(.minutes(2)))
struct HostileServerTests {
    static func serverHello(suite: UInt16 = 0x002F, corrupt: (inout ByteBuffer) -> Void = { _ in }) -> [UInt8] {
        var hs = ByteBuffer()
        ServerHello(legacyVersion: .tls12, random: [UInt8](repeating: 3, count: 32), cipherSuite: CipherSuite(suite)).writeHandshake(to: &hs)
        corrupt(&hs)
        var rec = ByteBuffer()
        TLSRecord(contentType: .handshake, version: .tls12, fragment: hs).write(to: &rec)
        return Array(rec.readableBytesView)
    }

    static let cases: [(String, [UInt8], String)] = [
        ("record length beyond 2^14+2048", [22, 3, 3, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 64), "malformed"),
        ("session id length 200", serverHello { $0.setInteger(UInt8(200), at: 4 + 2 + 32) }, "malformed"),
        ("handshake length 16 MB", [22, 3, 3, 0x40, 0x00, 2, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 0x4000 - 4), "malformed"),
        ("alert of 5 bytes", [21, 3, 3, 0, 5, 2, 40, 0, 0, 0], "malformed"),
        ("application data first", [23, 3, 3, 0, 4, 1, 2, 3, 4], "malformed"),
        ("truncated record then close", Array([22, 3, 3, 0, 80, 2, 0, 0, 76].prefix(7)), "closed"),
    ]

    @Test(arguments: cases.indices)
    func brokenAnswers(_ i: Int) async throws {
        let (name, bytes, expected) = Self.cases[i]
        let server = try PlainTCPServer.start(replyBytes: bytes)
        defer { server.stop() }
        var options = ScanOptions()
        options.readTimeout = .seconds(2)
        let report = await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: server.port))
        #expect(report.supportedVersions.isEmpty, "\(name)")
        let reasons = ([report.status.reason] + report.protocols.flatMap { [$0.check.reason, $0.refusal] }).compactMap { $0 }
        #expect(reasons.contains { $0.contains(expected) }, "\(name): \(reasons)")
    }

    @Test func suiteNotOfferedIsAnAnomalyNotAnAcceptance() async throws {
        // Answers every hello with a ServerHello choosing a suite from outside any block we send
        // for TLS 1.2 (a TLS 1.3 suite).
        let server = try PlainTCPServer.start(replyBytes: Self.serverHello(suite: 0x1301))
        defer { server.stop() }
        let report = await Scanner().scan(ScanTarget(host: "127.0.0.1", port: server.port))
        // An answer that was never asked for is an error, never "not offered".
        #expect(report.protocolResult(.tls12)?.check.status == .error)
        #expect(report.protocolResult(.tls12)?.supported == nil)
        #expect(report.status.status == .error, "every version erred: the target could not be scanned")
        #expect(report.anomalies.contains { $0.contains("did not offer") })
    }
}
