import Foundation
import Testing
import TLSPolicy
import TLSReport

@Suite("certificate and HSTS verdicts")
struct CertificateAndHSTSVerdictTests {
    func certificate(_ algorithm: String, selfSigned: Bool = false, isCA: Bool = false, key: CertificateKeyType = "RSA", bits: Int = 2048)
        -> CertificateSummary
    {
        CertificateSummary(
            subject: "CN=x", issuer: selfSigned ? "CN=x" : "CN=ca", serialNumber: "01", notBefore: Date(), notAfter: Date(),
            daysLeft: 0, expired: false, notYetValid: false, keyType: key, keyBits: bits, curve: nil,
            signatureAlgorithm: algorithm, subjectAlternativeNames: [], isCA: isCA, selfIssued: selfSigned,
            selfSigned: selfSigned, sha256Fingerprint: "00", ocspURLs: [], caIssuersURLs: [], mustStaple: false,
            hasEmbeddedSCTs: false, keyUsage: nil, extendedKeyUsage: nil)
    }

    @Test(arguments: [
        ("md2WithRSAEncryption", "MD2"), ("md5WithRSAEncryption", "MD5"), ("sha1WithRSAEncryption", "SHA-1"),
        ("ecdsa-with-SHA1", "SHA-1"), ("dsa-with-SHA1", "SHA-1"),
    ])
    func brokenHashesAreWeak(_ algorithm: String, _ hash: String) {
        let v = CertificateVerdict(certificate(algorithm))
        #expect(v.weakSignature)
        #expect(v.brokenHash == hash)
        #expect(v.weakSignatureReason == "\(hash) signature: collisions are practical, clients reject it")
    }

    @Test(arguments: ["sha256WithRSAEncryption", "ecdsa-with-SHA384", "Ed25519", "1.2.3.4"])
    func otherAlgorithmsAreNotWeak(_ algorithm: String) {
        let v = CertificateVerdict(certificate(algorithm))
        #expect(!v.weakSignature)
        #expect(v.brokenHash == nil)
        #expect(v.weakSignatureReason == nil)
    }

    @Test func aSelfSignedRootsSignatureIsNotReliedOn() {
        let root = CertificateVerdict(certificate("sha1WithRSAEncryption", selfSigned: true, isCA: true))
        #expect(!root.weakSignature)
        #expect(root.weakSignatureReason?.contains("self-signed root") == true)
        // Self-signed but not a CA (a self-signed leaf): its signature is what a client sees.
        #expect(CertificateVerdict(certificate("sha1WithRSAEncryption", selfSigned: true)).weakSignature)
    }

    @Test func verdictKeysAsTheReportSchemaHasThem() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let weak = String(decoding: try encoder.encode(CertificateVerdict(certificate("md5WithRSAEncryption"))), as: UTF8.self)
        #expect(weak == #"{"weakKey":false,"weakSignature":true,"weakSignatureReason":"MD5 signature: collisions are practical, clients reject it"}"#)
        let strong = String(decoding: try encoder.encode(CertificateVerdict(certificate("sha256WithRSAEncryption"))), as: UTF8.self)
        #expect(strong == #"{"weakKey":false,"weakSignature":false}"#)
        let small = CertificateVerdict(certificate("sha256WithRSAEncryption", bits: 1024))
        let smallJSON = String(decoding: try encoder.encode(small), as: UTF8.self)
        #expect(smallJSON == #"{"weakKey":true,"weakKeyReason":"1024-bit RSA key: under 2048 bits, which modern clients and CAs refuse","weakSignature":false}"#)
    }

    @Test(arguments: [
        ("RSA", 1024, true), ("RSA", 2047, true), ("RSA", 2048, false), ("RSA", 4096, false),
        ("ECDSA", 192, true), ("ECDSA", 224, false), ("ECDSA", 256, false), ("Ed25519", 256, false), ("other", 512, false),
    ])
    func keySizes(_ key: String, _ bits: Int, _ weak: Bool) {
        let v = CertificateVerdict(certificate("sha256WithRSAEncryption", key: CertificateKeyType(rawValue: key), bits: bits))
        #expect(v.weakKey == weak)
        #expect((v.weakKeyReason != nil) == weak)
    }

    @Test(arguments: [
        ("max-age=31536000", [String]()),
        ("max-age=15552000", []),
        ("max-age=600", ["max-age 600 s is under 180 days (SSL Labs and testssl.sh want at least that for A+)"]),
        ("max-age=0", ["max-age=0 tells browsers to forget the policy"]),
        ("max-age=abc", ["max-age 'abc' is not a number of seconds"]),
    ])
    func hstsProblems(_ header: String, _ problems: [String]) {
        #expect(HSTSVerdict(HSTSPolicy.parse(header)).problems == problems)
    }

    @Test func hstsParseProblemsComeFirst() {
        let hsts = HSTSPolicy.parse("max-age=600", headerCount: 2)
        #expect(HSTSVerdict(hsts).problems == [
            "2 Strict-Transport-Security headers; only the first counts",
            "max-age 600 s is under 180 days (SSL Labs and testssl.sh want at least that for A+)",
        ])
    }
}
