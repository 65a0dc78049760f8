import Foundation
import NIOCore
import Testing
@testable import TLSWire

struct Vector: Decodable, Sendable, CustomTestStringConvertible {
    var pcap: String
    var record_hex: String
    var ja3_string: String
    var ja3: String
    var ja4: String
    var ja4_r: String
    var ja4_o: String
    var expected_ja4: String?
    var note: String?
    var testDescription: String { "\(pcap) \(ja4)" }

    static let all: [Vector] = {
        let url = Bundle.module.url(forResource: "clienthello_vectors", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode([Vector].self, from: Data(contentsOf: url))
    }()

    var bytes: [UInt8] { [UInt8](hexString: record_hex)! }

    func flight() throws -> ClientHelloFlight {
        var reader = ClientHelloReader()
        reader.feed(bytes: bytes)
        return try #require(try reader.read())
    }
}

@Suite("JA3 / JA4 on the 139 published ClientHellos")
struct ClientFingerprintTests {
    @Test func allVectorsLoaded() {
        #expect(Vector.all.count == 139)
    }

    @Test(arguments: Vector.all)
    func fingerprints(_ v: Vector) throws {
        let fp = ClientFingerprint(try v.flight().hello)
        #expect(fp.ja3String == v.ja3_string)
        #expect(fp.ja3 == v.ja3)
        #expect(fp.ja4 == v.ja4)
        #expect(fp.ja4_r == v.ja4_r)
        #expect(fp.ja4_o == v.ja4_o)
    }

    /// We follow the JA4 specification on non-alphanumeric ALPN (hex of the first value);
    /// FoxIO's reference code prints `99`. Both are pinned here.
    @Test func nonAlphanumericALPN() throws {
        let v = try #require(Vector.all.first { $0.note != nil && $0.pcap.contains("non-ascii") })
        let hello = try v.flight().hello
        #expect(ClientFingerprint(hello).ja4.hasPrefix("t13d1516bd_"))
        #expect(ClientFingerprint.ja4ReferenceALPN(hello) == v.expected_ja4)
    }

    @Test func publishedJA3Examples() throws {
        // salesforce/ja3 README strings and their MD5s.
        #expect(ClientFingerprint.md5Hex("769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0") == "ada70206e40642a3e4461f35503241d5")
        #expect(ClientFingerprint.md5Hex("769,4-5-10-9-100-98-3-6-19-18-99,,,") == "de350869b8c85de67a350c8d186f11e6")
    }

    @Test func publishedJA4SpecExample() {
        #expect(ClientFingerprint.sha256Prefix("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9") == "8daaf6152771")
        #expect(ClientFingerprint.sha256Prefix("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601") == "e5627efa2ab1")
    }

    @Test func alpnEdgeCases() {
        #expect(ClientFingerprint.alpnCode([], reference: false) == "00")
        #expect(ClientFingerprint.alpnCode(Array("h2".utf8), reference: false) == "h2")
        #expect(ClientFingerprint.alpnCode(Array("http/1.1".utf8), reference: false) == "h1")
        #expect(ClientFingerprint.alpnCode([0x61], reference: false) == "aa")  // single char: first and last
        #expect(ClientFingerprint.alpnCode([0xAB], reference: false) == "ab")
        #expect(ClientFingerprint.alpnCode([0x20, 0x61], reference: false) == "21")
        #expect(ClientFingerprint.alpnCode([0x30, 0xAB, 0xCD, 0x31], reference: false) == "01")
    }
}
