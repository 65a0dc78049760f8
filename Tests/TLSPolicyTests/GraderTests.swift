import Foundation
import Testing
@testable import TLSPolicy
import TLSReport
@testable import TLSScanner
import TLSWire

@Suite("grade (SSL Labs 2009q)")
struct GraderTests {
    func grade(_ f: Fixture) throws -> GradeReport { try #require(Grader.grade(f.report())) }
    func hasCap(_ g: GradeReport, _ letter: String, _ text: String) -> Bool {
        g.caps.contains { $0.grade == letter && $0.reason.contains(text) }
    }

    @Test func modernServerGetsAPlus() throws {
        let g = try grade(Fixture())
        #expect(g.grade == "A+", "\(g.caps)")
        #expect(g.protocolScore == 100)
        #expect(g.keyExchangeScore == 90) // RSA 2048: < 4096
        #expect(g.cipherScore == 90)      // (256 + 128) → (100 + 80) / 2
        #expect(g.score == 93)
        #expect(g.notEvaluated.contains { $0.hasPrefix("ROBOT") })
    }

    @Test func noHSTSMeansA() throws {
        var f = Fixture()
        f.hstsMaxAge = nil
        let g = try grade(f)
        #expect(g.grade == "A")
        #expect(hasCap(g, "A", "no valid HSTS"))
    }

    @Test func shortHSTSMeansA() throws {
        var f = Fixture()
        f.hstsMaxAge = 86400
        #expect(try grade(f).grade == "A")
    }

    @Test func missingSecureRenegotiationIsAMinus() throws {
        var f = Fixture()
        f.vulnerable = ["secure_renegotiation"]
        let g = try grade(f)
        #expect(g.grade == "A-")
        #expect(g.warnings.count == 1)
    }

    @Test func tls10CapsAtB() throws {
        var f = Fixture()
        f.versions[.tls10] = [0xC013]
        let g = try grade(f)
        #expect(g.grade == "B")
        #expect(hasCap(g, "B", "TLS 1.0 or TLS 1.1 is offered"))
        #expect(g.protocolScore == 95) // (100 + 90) / 2
    }

    @Test func noTLS12CapsAtC() throws {
        var f = Fixture()
        f.versions = [.tls10: [0xC013, 0x002F]]
        let g = try grade(f)
        #expect(g.grade == "C")
        #expect(hasCap(g, "C", "no TLS 1.2 or 1.3"))
    }

    @Test func sweet32WithTLS12CapsAtC() throws {
        var f = Fixture()
        f.versions[.tls12] = [0xC02F, 0x000A]
        let g = try grade(f)
        #expect(g.grade == "C")
        #expect(hasCap(g, "C", "SWEET32"))
        #expect(g.cipherScore == 60) // (100 + 20) / 2: 3DES counts as 112 bits
    }

    @Test func sslv2AndExportAreF() throws {
        var f = Fixture()
        f.versions[.sslv2] = [0x002F] // any non-empty list marks it supported
        f.versions[.tls12] = [0xC02F, 0x0003]
        let g = try grade(f)
        #expect(g.grade == "F")
        #expect(hasCap(g, "F", "SSL 2.0 is offered"))
        #expect(hasCap(g, "F", "export suites"))
        #expect(g.score == nil)
    }

    @Test(arguments: [("heartbleed", "Heartbleed"), ("ccs_injection", "CCS"), ("robot", "ROBOT")])
    func criticalWeaknessesAreF(_ id: String, _ text: String) throws {
        var f = Fixture()
        f.notRun.remove(id)
        f.vulnerable = [id]
        let g = try grade(f)
        #expect(g.grade == "F")
        #expect(hasCap(g, "F", text))
    }

    @Test func drownFromSSL2IsF() throws {
        var f = Fixture()
        f.versions[.sslv2] = [0x0700]
        let g = try grade(f)
        #expect(g.grade == "F")
        #expect(hasCap(g, "F", "DROWN"))
    }

    @Test func compressionIsC() throws {
        var f = Fixture()
        f.vulnerable = ["compression"]
        #expect(try grade(f).grade == "C")
    }

    @Test func poodleFromSSL3CBCIsC() throws {
        var f = Fixture()
        f.versions[.sslv3] = [0x002F]
        let g = try grade(f)
        #expect(g.grade == "C")
        #expect(hasCap(g, "C", "POODLE"))
    }

    @Test func rsa1024IsB() throws {
        var f = Fixture()
        f.keyBits = 1024
        let g = try grade(f)
        #expect(g.grade == "B")
        #expect(g.keyExchangeScore == 80)
        #expect(hasCap(g, "B", "1024-bit RSA"))
    }

    @Test func rsa512IsF() throws {
        var f = Fixture()
        f.keyBits = 512
        #expect(try grade(f).grade == "F")
    }

    @Test func dh1024IsB() throws {
        var f = Fixture()
        f.versions[.tls12] = [0xC02F, 0x009E]
        f.dhBits = 1024
        let g = try grade(f)
        #expect(g.grade == "B")
        #expect(hasCap(g, "B", "1024-bit DH"))
    }

    @Test func noForwardSecrecyAndNoAEADAreB() throws {
        var f = Fixture()
        f.versions = [.tls12: [0x002F, 0x0035]]
        let g = try grade(f)
        #expect(g.grade == "B")
        #expect(hasCap(g, "B", "no forward secrecy"))
        #expect(hasCap(g, "B", "no AEAD"))
    }

    @Test func rc4() throws {
        var f = Fixture()
        f.versions[.tls12] = [0xC02F, 0x0005]
        let g = try grade(f)
        #expect(hasCap(g, "C", "RC4 is used with TLS 1.1"))
        #expect(hasCap(g, "B", "RC4 is offered"))
        #expect(g.grade == "C")
    }

    @Test func untrustedIsTWithUnderlyingGrade() throws {
        var f = Fixture()
        f.trusted = false
        f.trustProblems = ["self-signed certificate (not in any trust store)"]
        let g = try grade(f)
        #expect(g.grade == "T")
        #expect(g.gradeIgnoringTrust == "A+")
        #expect(hasCap(g, "T", "self-signed"))
    }

    @Test func incompleteChainIsBNotT() throws {
        var f = Fixture()
        f.trusted = false
        f.trustProblems = ["intermediate missing: the server did not send the certificate that issued 'CN=x'"]
        f.missingIssuer = "CN=Intermediate"
        let g = try grade(f)
        #expect(g.grade == "B")
        #expect(hasCap(g, "B", "intermediate missing"))
    }

    @Test func incompleteAndExpiredChainIsT() throws {
        var f = Fixture()
        f.trusted = false
        f.trustProblems = ["expired 3 days ago (notAfter 2026-11-30)", "intermediate missing: …"]
        f.missingIssuer = "CN=Intermediate"
        let g = try grade(f)
        #expect(g.grade == "T")
        #expect(hasCap(g, "T", "expired 3 days ago"))
    }

    @Test func theMissingIssuerIsReadFromItsFieldNotFromTheText() throws {
        var f = Fixture()
        f.trusted = false
        f.trustProblems = ["intermediate missing, said some other producer"]
        let g = try grade(f)
        #expect(g.grade == "T")
    }

    @Test func nameMismatchIsM() throws {
        var f = Fixture()
        f.hostnameMatches = false
        let g = try grade(f)
        #expect(g.grade == "M")
        #expect(hasCap(g, "M", "name mismatch"))
    }

    @Test func sha1LeafIsTAndMD5IsF() throws {
        var f = Fixture()
        f.signature = "sha1WithRSAEncryption"
        #expect(try grade(f).grade == "T")
        f.signature = "md5WithRSAEncryption"
        let g = try grade(f)
        #expect(hasCap(g, "F", "MD5"))
    }

    @Test func fallbackSCSVMissingMeansNoAPlus() throws {
        var f = Fixture()
        f.vulnerable = ["fallback_scsv"]
        let g = try grade(f)
        #expect(g.grade == "A")
        #expect(hasCap(g, "A", "TLS_FALLBACK_SCSV"))
    }

    @Test func defaultCertificateForOtherNamesIsNotGraded() throws {
        // nginx-style: the right certificate for the SNI asked, another one for clients without SNI.
        var t = Fixture().report()
        var other = t.certificates!.chains[0]
        other.servedFor = ["TLSv1.2, RSA suites, no SNI"]
        other.analysis.hostnameMatches = false
        other.analysis.hostnameProblem = "name mismatch: served for other.example, asked for example.com"
        t.certificates!.chains[0].servedFor = ["TLSv1.2, default suites, SNI example.com"]
        t.certificates!.chains.append(other)
        #expect(Grader.grade(t)?.grade == "A+")
        // Without SNI the default certificate is what clients get.
        t.sni = nil
        #expect(Grader.grade(t)?.grade == "M")
    }

    @Test func md2IsF() throws {
        var f = Fixture()
        f.signature = "md2WithRSAEncryption"
        let g = try grade(f)
        #expect(g.caps.contains { $0.grade == "F" && $0.reason.contains("MD2") })
        #expect(!g.caps.contains { $0.reason.contains("SHA-1") })
    }

    @Test func unscannedTargetHasNoGrade() {
        var t = Fixture().report()
        t.status = .error("connection refused")
        #expect(Grader.grade(t) == nil)
    }
}
