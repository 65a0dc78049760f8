import Crypto
import Foundation
import NIOCore
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// The pieces our client added for TLS 1.0/1.1, CBC and DHE: the MD5/SHA-1 PRF against OpenSSL's
/// own (`openssl kdf … TLS1-PRF` with digest MD5-SHA1), CBC records both ways in every version, and
/// the DH parameter checks. The real-peer proof is HTTPCheckTests.
@Suite("TLS 1.0/1.1 PRF, CBC records, DH checks")
struct TLSLegacyRecordLayerTests {
    /// OpenSSL's TLS 1.0 PRF; its seed is label + seed.
    func opensslPRF(secret: [UInt8], label: String, seed: [UInt8], count: Int) throws -> String {
        let r = try TestProcess.run(TestTools.opensslPath, [
            "kdf", "-keylen", "\(count)", "-kdfopt", "digest:MD5-SHA1", "-kdfopt", "hexsecret:\(secret.hexString)",
            "-kdfopt", "hexseed:\((Array(label.utf8) + seed).hexString)", "TLS1-PRF",
        ], timeout: 10)
        try #require(r.succeeded, "\(r.stderr)")
        return r.stdout.filter { $0.isHexDigit }.lowercased()
    }

    // 48 bytes (a master secret), and odd lengths, where RFC 2246 §5 has S1 and S2 share the middle byte.
    @Test(arguments: [48, 47, 1, 33])
    func md5sha1PRFMatchesOpenSSL(secretLength: Int) throws {
        let secret = (0..<secretLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let seed = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let ours = TLSPRF.md5sha1.prf(secret: secret, label: "key expansion", seed: seed, count: 104)
        #expect(ours.hexString == (try opensslPRF(secret: secret, label: "key expansion", seed: seed, count: 104)))
    }

    @Test func tls12PRFIsTheSuiteHash() {
        let secret = [UInt8](repeating: 5, count: 48)
        #expect(TLSPRF.tls12(.sha384).prf(secret: secret, label: "x", seed: [1], count: 20)
            == TLS12KeySchedule.prf(.sha384, secret: secret, label: "x", seed: [1], count: 20))
        #expect(TLSPRF.md5sha1.transcriptHash([1, 2, 3]).count == 36)
    }

    static let cbcCases: [(ProtocolVersion, MACAlgorithm, Int)] = [
        (.tls10, .sha1, 16), (.tls10, .sha1, 32), (.tls11, .sha1, 16), (.tls12, .sha1, 32),
        (.tls12, .sha256, 16), (.tls12, .sha256, 32), (.tls12, .sha384, 32),
    ]

    func pair(_ version: ProtocolVersion, _ mac: MACAlgorithm, _ keyLength: Int) -> (TLSCBCRecordProtection, TLSCBCRecordProtection) {
        let key = [UInt8](repeating: 0x42, count: keyLength), macKey = [UInt8](repeating: 0x24, count: mac.length)
        let iv = [UInt8](repeating: 0x99, count: 16)
        return (TLSCBCRecordProtection(key: key, macKey: macKey, mac: mac, version: version, iv: iv),
                TLSCBCRecordProtection(key: key, macKey: macKey, mac: mac, version: version, iv: iv))
    }

    @Test(arguments: cbcCases)
    func cbcRecordsRoundTrip(version: ProtocolVersion, mac: MACAlgorithm, keyLength: Int) throws {
        var (sender, receiver) = pair(version, mac, keyLength)
        // Lengths around the block size, so every padding length from 0 to 15 occurs.
        for length in [0, 1, 15, 16, 17, 31, 100, 1 << 14] {
            let plain = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
            let record = try sender.seal(.applicationData, version: version, plaintext: plain)
            #expect(record.fragment.readableBytes % 16 == 0)
            #expect(record.fragment.readableBytes >= length + mac.length + 1 + (version >= .tls11 ? 16 : 0))
            #expect(try receiver.open(record) == plain, "\(version.displayName) \(length) bytes")
        }
        #expect(receiver.sequence == 8)
    }

    @Test(arguments: [ProtocolVersion.tls10, .tls12])
    func tamperedReorderedOrShortCBCRecordsDoNotOpen(version: ProtocolVersion) throws {
        var (sender, receiver) = pair(version, .sha1, 16)
        let first = try sender.seal(.applicationData, version: version, plaintext: Array("GET / HTTP/1.1\r\n".utf8))
        let second = try sender.seal(.applicationData, version: version, plaintext: Array("Host: x\r\n\r\n".utf8))
        var tampered = first
        tampered.fragment.setInteger(tampered.fragment.getInteger(at: 20, as: UInt8.self)! ^ 1, at: 20)
        var r1 = receiver
        #expect(throws: TLSClientError.self) { try r1.open(tampered) }
        var r2 = receiver
        #expect(throws: TLSClientError.self) { try r2.open(second) } // out of order: wrong sequence number and IV
        var short = first
        short.fragment = ByteBuffer(bytes: Array(first.fragment.readableBytesView.prefix(16)))
        var r3 = receiver
        #expect(throws: TLSClientError.self) { try r3.open(short) }
        _ = try receiver.open(first)
        _ = try receiver.open(second)
    }

    // MARK: DH parameter checks (RFC 5246 §8.1.2; the brief's sanity rules)

    static let ffdhe2048 = [UInt8](hexString: "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9"
        + "7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935984F0C70E0E68B77E2A689DAF3EFE8"
        + "721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A"
        + "6D709E02FCE1CDF7E2ECC03404CD28342F619172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1"
        + "B2EFFA886B423861285C97FFFFFFFFFFFFFFFF")!

    /// Our share and the premaster secret for a real group (that both sides agree is shown by the
    /// DHE handshakes against openssl in HTTPCheckTests).
    @Test func dhAgreementGivesAShareAndAStrippedSecret() throws {
        let server = try TLS12ClientStateMachine.dhAgreement(p: Self.ffdhe2048, g: [2], ys: [3])
        let client = try TLS12ClientStateMachine.dhAgreement(p: Self.ffdhe2048, g: [2], ys: server.publicKey)
        #expect(client.preMaster.first != 0, "leading zero bytes are stripped")
        #expect(client.publicKey.count <= Self.ffdhe2048.count)
    }

    @Test func unusableDHParametersAreRefused() {
        let p = Self.ffdhe2048
        var even = p
        even[even.count - 1] &-= 1
        let pMinusOne = even
        let cases: [(String, [UInt8], [UInt8], [UInt8])] = [
            ("even prime", even, [2], [5]),
            ("256-bit prime", Array(p.suffix(32)), [2], [5]),
            ("Ys = 1", p, [2], [1]),
            ("Ys = p-1", p, [2], pMinusOne),
            ("Ys = p", p, [2], p),
            ("g = 1", p, [1], [5]),
        ]
        for (what, prime, g, ys) in cases {
            #expect(throws: TLSClientError.self, "\(what)") { try TLS12ClientStateMachine.dhAgreement(p: prime, g: g, ys: ys) }
        }
    }
}
