import Foundation
import NIOCore
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// Our TLS 1.2 client against `openssl s_server` (OpenSSL 3.0): handshakes in every suite, curve
/// and extended-master-secret choice it speaks, then the resumption and renegotiation checks.
///
/// s_server has no switch to turn extended master secret off, so the non-EMS path is exercised by
/// a client that does not offer it.
@Suite("TLS 1.2 client against openssl", .serialized)
struct TLS12ClientIntegrationTests {
    static let ecdhe = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"

    func session(_ port: Int) throws -> ProbeSession {
        var options = ScanOptions()
        options.readTimeout = .seconds(3)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        return ProbeSession(scanner: Scanner(options: options), target: ScanTarget(host: "127.0.0.1", port: port), address: address)
    }

    func tls12(_ suites: [CipherSuite] = TLS12SuiteParameters.suites) -> [ProtocolResult] {
        [ProtocolResult(version: .tls12, check: .completed, supported: true, cipherSuites: suites.map(SuiteResult.init))]
    }

    /// Suite, curve, extended master secret: the client offers only that suite and that curve, so
    /// one dual-certificate server (RSA and ECDSA) must use them.
    /// An ECDSA certificate is only used when its curve (P-256 here) is among the client's groups
    /// (RFC 8422 §5.1.1; OpenSSL's tls1_check_cert_param), so ECDSA with x25519 offers P-256 second.
    static let handshakeCases: [(UInt16, [NamedGroup], Bool)] = [
        (0xC02F, [.x25519], true),
        (0xC030, [.secp256r1], true),
        (0xC02F, [.secp384r1], false),
        (0xC02B, [.secp256r1], false),
        (0xC02C, [.x25519, .secp256r1], true),
    ]

    @Test func everySuiteCurveAndEMSChoiceHandshakesAndResumes() async throws {
        let rsa = try TestCertificate.rsa()
        let ecdsa = try TestCertificate.ecdsa()
        let args = ["-tls1_2", "-cipher", Self.ecdhe, "-dcert", ecdsa.certPath, "-dkey", ecdsa.keyPath]
        try await withOpenSSLServer(certificate: rsa, arguments: args) { server in
            let s = try session(server.port)
            for (code, groups, ems) in Self.handshakeCases {
                let what = "\(CipherSuite(code).name) \(groups) EMS \(ems)"
                var config = TLS12ClientStateMachine.Configuration(serverName: "localhost", cipherSuites: [CipherSuite(code)], groups: groups)
                config.extendedMasterSecret = ems
                // Without session_ticket: OpenSSL gives a TLS 1.2 session no ID when it issues a ticket.
                config.requestTicket = false
                let first = await s.handshake12(config)
                #expect(first.established, "\(what): \(first.error?.detail ?? "")")
                #expect(first.serverHello?.cipherSuite == CipherSuite(code), "\(what)")
                #expect(first.session?.extendedMasterSecret == ems, "\(what)")
                guard let saved = first.session else { continue }
                #expect(!saved.sessionID.isEmpty, "\(what)")
                config.resume = .sessionID(saved)
                let second = await s.handshake12(config)
                #expect(second.resumed && second.established, "\(what): \(second.error?.detail ?? "")")
            }
        }
    }

    @Test func defaultServerResumesByIDAndTicketAndRefusesRenegotiation() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_2"]) { server in
            let s = try session(server.port)
            let r = await s.run(TLS12ResumptionCheck(protocols: tls12()))
            #expect(r.resumption == .completed, "\(r.resumption.reason ?? "")")
            #expect(r.sessionIDResumption == true)
            #expect(r.ticketResumption == true)
            // Renegotiation is left for the end of the scan, on a connection of its own.
            #expect(r.clientRenegotiation.check.status == .notRun)
            let reneg = await s.run(ClientRenegotiationCheck(protocols: tls12()))
            #expect(reneg.check == .completed, "\(reneg.check.reason ?? "")")
            #expect(reneg.seen == false, "\(reneg.evidence ?? "")")
            #expect(reneg.evidence?.contains("no_renegotiation") == true, "\(reneg.evidence ?? "")")
        }
    }

    @Test func noCacheNoTicket() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_2", "-no_cache", "-no_ticket"]) { server in
            let r = await (try session(server.port)).run(TLS12ResumptionCheck(protocols: tls12()))
            #expect(r.resumption == .completed, "\(r.resumption.reason ?? "")")
            #expect(r.sessionIDResumption == false)
            #expect(r.ticketResumption == false)
        }
    }

    @Test func cacheWithoutTicketsAndClientRenegotiationAllowed() async throws {
        let args = ["-tls1_2", "-no_ticket", "-client_renegotiation"]
        try await withOpenSSLServer(certificate: try TestCertificate.ecdsa(), arguments: args) { server in
            let s = try session(server.port)
            let r = await s.run(TLS12ResumptionCheck(protocols: tls12()))
            #expect(r.resumption == .completed, "\(r.resumption.reason ?? "")")
            #expect(r.sessionIDResumption == true)
            #expect(r.ticketResumption == false)
            let reneg = await s.run(ClientRenegotiationCheck(protocols: tls12()))
            #expect(reneg.seen == true, "\(reneg.evidence ?? reneg.check.reason ?? "")")
            #expect(reneg.evidence?.contains("ServerHello") == true)
        }
    }

    func only(_ v: ProtocolVersion, _ suites: [CipherSuite]) -> [ProtocolResult] {
        [ProtocolResult(version: v, check: .completed, supported: true, cipherSuites: suites.map(SuiteResult.init))]
    }

    /// Resumption and renegotiation on servers without TLS 1.2 ECDHE-GCM (they were "not run"):
    /// our client on TLS 1.0 with CBC, and on TLS 1.2 with DHE only; checked against what the
    /// server is told to do.
    @Test func resumptionAndRenegotiationOnTLS10AndDHEOnly() async throws {
        let tls10 = ["-tls1", "-cipher", "AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0", "-no_ticket", "-client_renegotiation"]
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: tls10) { server in
            let s = try session(server.port)
            let protocols = only(.tls10, [CipherSuite(0x002F), CipherSuite(0xC014)])
            let r = await s.run(TLS12ResumptionCheck(protocols: protocols))
            #expect(r.resumption == .completed, "\(r.resumption.reason ?? "")")
            #expect(r.sessionIDResumption == true)
            #expect(r.ticketResumption == false)
            let reneg = await s.run(ClientRenegotiationCheck(protocols: protocols))
            #expect(reneg.seen == true, "\(reneg.evidence ?? reneg.check.reason ?? "")")
            #expect(reneg.evidence?.hasPrefix("after a full TLS 1.0 handshake") == true, "\(reneg.evidence ?? "")")
        }
        let dh = try TestPKI.shared.get().directory.appendingPathComponent("ffdhe2048-reneg.pem").path
        let gen = try TestProcess.run(TestTools.opensslPath, ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", dh], timeout: 30)
        #expect(gen.succeeded, "\(gen.stderr)")
        let dhe = ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256", "-dhparam", dh]
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: dhe) { server in
            let s = try session(server.port)
            let protocols = only(.tls12, [CipherSuite(0x009E)])
            let r = await s.run(TLS12ResumptionCheck(protocols: protocols))
            #expect(r.resumption == .completed, "\(r.resumption.reason ?? "")")
            #expect(r.sessionIDResumption == true)
            #expect(r.ticketResumption == true)
            let reneg = await s.run(ClientRenegotiationCheck(protocols: protocols))
            #expect(reneg.check == .completed, "\(reneg.check.reason ?? "")")
            #expect(reneg.seen == false, "\(reneg.evidence ?? "")")
        }
    }

    @Test func noUsableSuiteIsNotRunWithoutConnecting() async throws {
        let s = try session(try closedPort())
        // 3DES: a suite our client does not speak.
        let r = await s.run(TLS12ResumptionCheck(protocols: tls12([CipherSuite(0x000A)])))
        #expect(r.resumption.status == .notRun)
        #expect(r.clientRenegotiation.check.status == .notRun)
        #expect(r.resumption.reason?.contains("our client speaks") == true, "\(r.resumption.reason ?? "")")
        let reneg = await s.run(ClientRenegotiationCheck(protocols: tls12([CipherSuite(0x000A)])))
        #expect(reneg.check.status == .notRun)
        #expect(reneg.check.reason?.contains("our client speaks") == true)
        let only13 = await s.run(TLS12ResumptionCheck(protocols: [ProtocolResult(version: .tls13, check: .completed, supported: true)]))
        #expect(only13.clientRenegotiation.check.status == .notApplicable)
        #expect(only13.resumption.status == .notApplicable)
        #expect(s.probeCount == 0)
    }
}

/// Hostile peers: bytes crafted to break the handshake end it with a clear error, quickly.
@Suite("TLS 1.2 client against hostile servers", .serialized, .timeLimit(.minutes(1)))
struct TLS12HostileServerTests {
    /// ServerHello, Certificate, ServerKeyExchange, ServerHelloDone as one record, with `mangle` applied.
    static func flight(mangleSKE: Bool = false, thenCCSAndGarbage: Bool = false) throws -> [UInt8] {
        var machine = TLS12ClientStateMachine(.init())
        var server = TLS12TestServer()
        var messages = try server.firstFlightMessages(clientHelloRecords: machine.start())
        if mangleSKE {
            var reassembler = HandshakeReassembler()
            reassembler.append(messages)
            var out = ByteBuffer()
            while let m = try reassembler.nextMessage() {
                if m.type == .serverKeyExchange {
                    // The point claims 32 bytes; only 20 follow before the message ends.
                    out.writeImmutableBuffer(TLS12ClientStateMachine.handshake(.serverKeyExchange) { $0.writeBytes(Array(m.body.readableBytesView.prefix(24))) })
                } else {
                    out.writeImmutableBuffer(m.bytes)
                }
            }
            messages = out
        }
        var bytes = TLS12TestServer.record(.handshake, messages)
        if thenCCSAndGarbage {
            bytes.writeImmutableBuffer(TLS12TestServer.record(.changeCipherSpec, ByteBuffer(bytes: [1])))
            // A "Finished" the server cannot have encrypted under keys it does not know.
            bytes.writeImmutableBuffer(TLS12TestServer.record(.handshake, ByteBuffer(bytes: [UInt8](repeating: 0x5A, count: 40))))
        }
        return Array(bytes.readableBytesView)
    }

    func run(_ reply: [UInt8]) async throws -> TLS12HandshakeResult {
        let server = try PlainTCPServer.start(replyBytes: reply)
        defer { server.stop() }
        // No wall-clock bound here: on a loaded 2-core machine it measures the test run, not the
        // client. Each case asserts the specific error (a parse error cannot come from a deadline),
        // and the suite's time limit catches a hang.
        let client = HandshakeClient(connectTimeout: .seconds(2), readTimeout: .seconds(2))
        return await client.run(try SocketAddress(ipAddress: "127.0.0.1", port: server.port), .init())
    }

    @Test func truncatedServerKeyExchange() async throws {
        let r = try await run(try Self.flight(mangleSKE: true))
        #expect(!r.established)
        #expect(r.error?.code == .malformed, "\(String(describing: r.error))")
        #expect(r.error?.detail.contains("ServerKeyExchange") == true, "\(r.error?.detail ?? "")")
    }

    @Test func finishedThatDoesNotVerify() async throws {
        let r = try await run(try Self.flight(thenCCSAndGarbage: true))
        #expect(!r.established)
        #expect(r.error?.code == .badRecordMAC, "\(String(describing: r.error))")
    }

    @Test func flightThenSilenceOrClose() async throws {
        // The whole first flight, then the server half-closes without CCS/Finished.
        let r = try await run(try Self.flight())
        #expect(!r.established)
        #expect([TLSClientError.Code.closed, .timedOut].contains(r.error?.code ?? .malformed), "\(String(describing: r.error))")
    }

    @Test func garbageAndHugeLengths() async throws {
        for reply in [[UInt8](repeating: 0x41, count: 64), [22, 3, 3, 0xFF, 0xFF], [22, 3, 3, 0, 4, 2, 0xFF, 0xFF, 0xFF]] {
            let r = try await run(reply)
            #expect(!r.established)
            #expect(r.error != nil)
        }
    }
}
