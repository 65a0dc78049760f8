import Foundation
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// ROBOT against a scripted Bleichenbacher oracle (real RSA decryption in Python), the same script
/// without the oracle, a real (patched) OpenSSL with RSA key exchange, and a server without it.
@Suite("ROBOT", .serialized)
struct RobotTests {
    func scan(_ port: Int, robot: Bool = true) async -> TargetReport {
        var options = ScanOptions()
        options.readTimeout = .seconds(3)
        options.http = false
        options.robot = robot
        return await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port))
    }

    @Test("a server whose alert depends on the padding is an oracle; the same server without it is not")
    func scriptedOracle() async throws {
        try TestTools.requireOpenSSL()
        let cert = try TestCertificate.rsa()
        for (mode, vulnerable) in [("strong", true), ("none", false)] {
            let peer = try ScriptedPeer.start("robot_oracle_server.py", arguments: [cert.certPath, cert.keyPath, mode])
            defer { peer.stop() }
            let r = await scan(peer.port)
            let f = try #require(r.weakness("robot"))
            #expect(f.check.status == .completed, "\(mode): \(f.check.reason ?? "")")
            #expect(f.seen == vulnerable, "\(mode): \(f.evidence ?? "")")
            if vulnerable {
                #expect(f.evidence?.hasPrefix("strong oracle over TLS 1.2") == true, "\(f.evidence ?? "")")
                #expect(f.evidence?.contains("wrong first bytes: alert decrypt_error") == true)
                #expect(f.evidence?.contains("correct padding: alert bad_record_mac") == true)
            } else {
                #expect(f.evidence?.contains("same answer (alert bad_record_mac") == true, "\(f.evidence ?? "")")
            }
        }
    }

    @Test("OpenSSL with RSA key exchange answers every variant alike; ECDHE-only is not applicable; off by default")
    func realServers() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-cipher", "AES128-SHA:AES256-GCM-SHA384", "-no_tls1_3"]) { server in
            let r = await scan(server.port)
            let f = try #require(r.weakness("robot"))
            #expect(f.check.status == .completed, "\(f.check.reason ?? "")")
            #expect(f.seen == false, "\(f.evidence ?? "")")
            let off = await scan(server.port, robot: false)
            #expect(off.weakness("robot")?.check.status == .notRun)
            #expect(off.weakness("robot")?.check.reason?.contains("--robot") == true)
        }
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]) { server in
            let r = await scan(server.port)
            #expect(r.weakness("robot")?.check.status == .notApplicable)
            #expect(r.weakness("robot")?.seen == false)
        }
    }

    @Test("the five blocks: PKCS#1 v1.5 structure per variant, before encryption (exponent 1)")
    func blocks() throws {
        // With e = 1 and a modulus of all 0xFF the "ciphertext" is the block itself.
        let modulus = [UInt8](repeating: 0xFF, count: 256)
        func block(_ v: RobotCheck.RobotVariant) throws -> [UInt8] {
            try #require(RobotCheck.robotCiphertext(v, modulus: modulus, exponent: [1], version: .tls12))
        }
        let correct = try block(.correct)
        #expect(correct.count == 256)
        #expect(Array(correct[0..<2]) == [0x00, 0x02])
        #expect(correct[256 - 49] == 0x00 && Array(correct[(256 - 48)...].prefix(2)) == [0x03, 0x03])
        #expect(!correct[2..<(256 - 49)].contains(0))
        #expect(Array(try block(.wrongFirstBytes)[0..<2]) == [0x41, 0x17])
        let misplaced = try block(.zeroInWrongPlace)
        #expect(misplaced.firstIndex(of: 0, after: 2) == 256 - 59)
        let noSeparator = try block(.noZeroSeparator)
        #expect(!noSeparator[2...].contains(0))
        let wrongVersion = try block(.wrongVersion)
        #expect(Array(wrongVersion[(256 - 48)...].prefix(2)) == [0x02, 0x02])
    }
}

private extension Array where Element == UInt8 {
    func firstIndex(of value: UInt8, after start: Int) -> Int? { self[start...].firstIndex(of: value) }
}
