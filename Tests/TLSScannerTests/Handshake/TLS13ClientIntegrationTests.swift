import TLSPolicy
import Foundation
import NIOCore
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// Our TLS 1.3 client against `openssl s_server -tls1_3` (OpenSSL 3.0): a full handshake in each
/// suite, a HelloRetryRequest, then the ticket / resumption / 0-RTT checks in each server setting
/// that changes their answer.
///
/// What OpenSSL 3.0 does, measured here: it sends two tickets after the handshake by default
/// (`-num_tickets`); `-no_ticket` alone still resumes TLS 1.3 (the tickets then carry a session ID
/// from the cache), only `-no_ticket -no_cache` makes them unusable; tickets allow 0-RTT when
/// `-max_early_data` or `-early_data` is set (16384 bytes by default with `-early_data`), and early
/// data is accepted only with `-early_data` (without it the server rejects it).
@Suite("TLS 1.3 client against openssl", .serialized, .timeLimit(.minutes(3)))
struct TLS13ClientIntegrationTests {
    static let allSuites: [UInt16] = [0x1301, 0x1302, 0x1303]

    func session(_ port: Int, http: Bool = true) throws -> ProbeSession {
        var options = ScanOptions()
        options.readTimeout = .seconds(3)
        options.http = http
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        return ProbeSession(scanner: Scanner(options: options), target: ScanTarget(host: "127.0.0.1", port: port, sni: "localhost"),
                            address: address)
    }

    func tls13(_ suites: [UInt16] = allSuites) -> [ProtocolResult] {
        [ProtocolResult(version: .tls13, check: .completed, supported: true, cipherSuites: suites.map { SuiteResult(CipherSuite($0)) })]
    }

    /// The DER of a PEM certificate file.
    func der(_ certificate: TestCertificate) -> [UInt8] {
        let body = certificate.certificatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return [UInt8](Data(base64Encoded: body) ?? Data())
    }

    @Test(arguments: [(0x1301, "TLS_AES_128_GCM_SHA256"), (0x1302, "TLS_AES_256_GCM_SHA384"), (0x1303, "TLS_CHACHA20_POLY1305_SHA256")])
    func fullHandshakeInEachSuite(_ code: UInt16, _ name: String) async throws {
        let certificate = try TestCertificate.ecdsa()
        try await withOpenSSLServer(certificate: certificate, arguments: ["-tls1_3", "-ciphersuites", name]) { server in
            let s = try session(server.port)
            let r = await s.handshake13(.init(serverName: "localhost"))
            #expect(r.established, "\(r.error?.detail ?? "")")
            #expect(r.cipherSuite == CipherSuite(code))
            #expect(r.group == .x25519)
            #expect(!r.helloRetryRequest)
            #expect(r.certificateChain == [der(certificate)])
            #expect(r.tickets.count == 2)
            #expect(r.tickets.allSatisfy { $0.lifetime > 0 && $0.maxEarlyDataSize == nil && $0.suite == CipherSuite(code) })
        }
    }

    @Test func helloRetryRequestToP256() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_3", "-groups", "P-256"]) { server in
            let r = await (try session(server.port)).handshake13(.init(serverName: "localhost"))
            #expect(r.established, "\(r.error?.detail ?? "")")
            #expect(r.helloRetryRequest)
            #expect(r.helloRetryGroup == .secp256r1)
            #expect(r.group == .secp256r1)
        }
    }

    @Test func zeroRTTAccepted() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.ecdsa(), arguments: ["-tls1_3", "-early_data"]) { server in
            let c = await (try session(server.port)).run(TLS13FeaturesCheck(protocols: tls13()))
            let f = try #require(c.features)
            #expect(f.check == .completed && f.resumption == .completed, "\(f.resumption.reason ?? "")")
            #expect(f.ticketsIssued == 2)
            #expect(f.maxEarlyDataSize == 16384)
            #expect(f.resumed == true)
            #expect(f.earlyData == .accepted, "\(f.evidence ?? "")")
            #expect(c.earlyData == .completed)
            #expect(c.finding.seen == true)
            #expect(c.finding.evidence?.contains("0-RTT data on a resumed TLS 1.3 handshake were accepted") == true)
            // What replay means is the verdict's to say.
            #expect(WeaknessJudge.judge(c.finding).evidence?.contains("RFC 8446 §8") == true)
            // The server read our harmless request as early data.
            #expect(server.stdoutOutput.contains("HEAD / HTTP/1.1"), "\(server.stdoutOutput.suffix(400))")
        }
    }

    @Test func zeroRTTAdvertisedButRejected() async throws {
        let args = ["-tls1_3", "-max_early_data", "1024"]
        try await withOpenSSLServer(certificate: try TestCertificate.ecdsa(), arguments: args) { server in
            let c = await (try session(server.port)).run(TLS13FeaturesCheck(protocols: tls13()))
            let f = try #require(c.features)
            #expect(f.maxEarlyDataSize == 1024)
            #expect(f.resumed == true, "\(f.evidence ?? f.resumption.reason ?? "")")
            #expect(f.earlyData == .rejected, "\(f.evidence ?? "")")
            #expect(c.finding.seen == false)
        }
    }

    @Test func ticketsWithoutEarlyDataResume() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_3"]) { server in
            let c = await (try session(server.port)).run(TLS13FeaturesCheck(protocols: tls13()))
            let f = try #require(c.features)
            #expect(f.ticketsIssued == 2)
            #expect(f.ticketLifetime == 7200)
            #expect(f.maxEarlyDataSize == nil)
            #expect(f.resumed == true, "\(f.evidence ?? f.resumption.reason ?? "")")
            #expect(f.earlyData == .notOffered)
            #expect(c.finding.check == .completed && c.finding.seen == false)
        }
    }

    @Test func noTicketsNoResumption() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_3", "-num_tickets", "0"]) { server in
            let c = await (try session(server.port)).run(TLS13FeaturesCheck(protocols: tls13()))
            let f = try #require(c.features)
            #expect(f.check == .completed)
            #expect(f.ticketsIssued == 0)
            #expect(f.resumed == false)
            #expect(f.earlyData == .notOffered)
            #expect(f.evidence?.contains("no NewSessionTicket") == true, "\(f.evidence ?? "")")
        }
    }

    @Test(arguments: [(["-no_ticket"], true), (["-no_ticket", "-no_cache"], false)])
    func statefulTicketsNeedTheCache(_ flags: [String], _ resumes: Bool) async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_3"] + flags) { server in
            let c = await (try session(server.port)).run(TLS13FeaturesCheck(protocols: tls13()))
            let f = try #require(c.features)
            #expect(f.ticketsIssued == 2)
            #expect(f.resumption == .completed, "\(f.resumption.reason ?? "")")
            #expect(f.resumed == resumes, "\(f.evidence ?? "")")
        }
    }

    @Test func alpnOfATLS13OnlyServerIsReported() async throws {
        let args = ["-tls1_3", "-alpn", "h2,http/1.1"]
        try await withOpenSSLServer(certificate: try TestCertificate.ecdsa(), arguments: args) { server in
            var options = ScanOptions()
            options.connectTimeout = .seconds(3)
            options.readTimeout = .seconds(3)
            options.http = false
            let report = await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: server.port, sni: "localhost"))
            let f = try #require(report.features)
            #expect(f.check == .completed, "\(f.check.reason ?? "")")
            #expect(f.version == .tls13)
            #expect(f.alpn == "h2")
            #expect(f.tls13?.alpn == "h2")
            #expect(f.tls13?.resumed == true)
            // The 0-RTT probe spoke HTTP/2's connection preface, not HTTP/1.1 (no early data here anyway).
            #expect(f.tls13?.earlyData == .notOffered)
            #expect(report.weakness("early_data")?.seen == false)
            // Our client's chain joins the TLS 1.3 certificates.
            #expect(report.certificates?.chains.first?.servedFor.first?.hasPrefix("TLSv1.3, default hello") == true,
                    "\(report.certificates?.chains.map(\.servedFor) ?? [])")
        }
    }
}

/// Hostile TLS 1.3 peers on a socket: a clean, typed error, never a hang or a crash.
@Suite("TLS 1.3 client against hostile servers", .serialized, .timeLimit(.minutes(1)))
struct TLS13HostileServerTests {
    @Test func garbageAfterServerHello() async throws {
        let peer = try ScriptedPeer.start("tls13_garbage_server.py")
        defer { peer.stop() }
        let client = HandshakeClient(connectTimeout: .seconds(2), readTimeout: .seconds(2))
        let r = await client.run(try SocketAddress(ipAddress: "127.0.0.1", port: peer.port), TLS13ClientStateMachine(.init()))
        #expect(!r.established)
        #expect(r.serverHello?.cipherSuite == CipherSuite(0x1301))
        #expect(r.error?.code == .badRecordMAC, "\(String(describing: r.error))")
    }

    @Test func nonTLSAndTruncatedAnswers() async throws {
        for reply in [Array("SSH-2.0-OpenSSH_9.6\r\n".utf8), [22, 3, 3, 0, 40, 2, 0, 0, 36], [21, 3, 3, 0, 2, 2, 70]] {
            let server = try PlainTCPServer.start(replyBytes: reply)
            defer { server.stop() }
            let client = HandshakeClient(connectTimeout: .seconds(2), readTimeout: .seconds(2))
            let r = await client.run(try SocketAddress(ipAddress: "127.0.0.1", port: server.port), TLS13ClientStateMachine(.init()))
            #expect(!r.established)
            #expect(r.error != nil)
            #expect(r.error?.detail.contains("\n") == false)
        }
    }

    @Test func refusedPort() async throws {
        let client = HandshakeClient(connectTimeout: .seconds(2), readTimeout: .seconds(2))
        let r = await client.run(try SocketAddress(ipAddress: "127.0.0.1", port: try closedPort()), TLS13ClientStateMachine(.init()))
        #expect(r.error?.code == .connection)
    }
}
