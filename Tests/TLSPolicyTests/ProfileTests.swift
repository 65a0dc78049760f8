import Foundation
import Testing
@testable import TLSPolicy
import TLSReport
@testable import TLSScanner
import TLSWire

@Suite("compliance profiles")
struct ProfileTests {
    func evaluate(_ id: String, _ f: Fixture, platform: String? = nil) throws -> ComplianceReport {
        ProfileEvaluator.evaluate(try Profile.resolve(id), f.report(), platform: platform)
    }
    func status(_ r: ComplianceReport, _ id: String) -> RequirementResult.Status? { r.requirements.first { $0.id == id }?.status }

    @Test func builtInProfilesLoad() throws {
        let ids = try Profile.builtIn().map(\.id)
        #expect(ids == ["bsi-tr-02102-2", "mozilla-intermediate", "mozilla-modern", "mozilla-old", "nist-800-52r2", "pci-dss-4", "tls12-minimum"])
    }

    @Test func pciCompliantServer() throws {
        let r = try evaluate("pci-dss-4", Fixture())
        #expect(r.verdict == .compliant, "\(r.requirements.filter { $0.status != .pass }.map(\.evidence))")
    }

    @Test func pciFailsOnTLS10WithRemediation() throws {
        var f = Fixture()
        f.versions[.tls10] = [0xC013]
        let r = try evaluate("pci-dss-4", f, platform: "nginx")
        #expect(r.verdict == .notCompliant)
        let req = try #require(r.requirements.first { $0.id == "no-ssl-or-early-tls" })
        #expect(req.status == .fail)
        #expect(req.evidence.contains("offers TLS 1.0"))
        #expect(req.remediation?.map(\.platform) == ["generic", "nginx"])
        #expect(req.remediation?.last?.steps.first?.contains("ssl_protocols TLSv1.2 TLSv1.3;") == true)
    }

    @Test func defaultRemediationNamesThePlatforms() throws {
        var f = Fixture()
        f.versions[.tls11] = [0xC013]
        let r = try evaluate("tls12-minimum", f)
        let steps = try #require(r.requirements.first?.remediation)
        #expect(steps.count == 1)
        #expect(steps[0].steps.last?.contains("nginx, apache, haproxy, iis, dotnet, java, openssl") == true)
    }

    @Test func pciFailsOn3DESAndWeakCertificate() throws {
        var f = Fixture()
        f.versions[.tls12] = [0xC02F, 0x000A]
        f.keyBits = 1024
        let r = try evaluate("pci-dss-4", f)
        #expect(status(r, "strong-cryptography") == .fail)
        #expect(status(r, "trusted-certificate") == .fail)
    }

    @Test func checkThatDidNotRunIsNotEvaluatedNeverPass() throws {
        var f = Fixture()
        f.notRun.insert("heartbleed")
        let r = try evaluate("pci-dss-4", f)
        #expect(status(r, "known-vulnerabilities") == .notEvaluated)
        #expect(r.verdict == .notEvaluated)
        var t = Fixture().report()
        t.certificates = nil
        let r2 = ProfileEvaluator.evaluate(try Profile.resolve("pci-dss-4"), t)
        #expect(r2.requirements.first { $0.id == "trusted-certificate" }?.status == .notEvaluated)
    }

    @Test func tls12MinimumIsOnlyAboutVersions() throws {
        var f = Fixture()
        f.trusted = false
        #expect(try evaluate("tls12-minimum", f).verdict == .compliant)
        f.versions[.tls11] = [0xC013]
        #expect(try evaluate("tls12-minimum", f).verdict == .notCompliant)
    }

    @Test func mozillaIntermediateSuitesAndGroups() throws {
        var f = Fixture()
        #expect(try evaluate("mozilla-intermediate", f).verdict == .compliant)
        f.versions[.tls12] = [0xC02F, 0xC013]
        f.groups12 = [.x25519, .secp521r1]
        let r = try evaluate("mozilla-intermediate", f)
        #expect(status(r, "cipher-suites") == .fail)
        #expect(status(r, "groups") == .fail)
        #expect(r.requirements.first { $0.id == "groups" }?.evidence.contains("secp521r1") == true)
    }

    @Test func mozillaModernNeedsTLS13OnlyAndECDSA() throws {
        var f = Fixture()
        let r = try evaluate("mozilla-modern", f)
        #expect(status(r, "protocols") == .fail)
        #expect(status(r, "certificate") == .fail)
        f.versions = [.tls13: [0x1301, 0x1302, 0x1303]]
        f.keyType = "ECDSA"
        f.keyBits = 256
        f.ocspStapling = true
        #expect(try evaluate("mozilla-modern", f).verdict == .compliant)
    }

    @Test func shouldLevelFailuresDoNotFailTheProfile() throws {
        var f = Fixture()
        f.hstsMaxAge = 600
        let r = try evaluate("mozilla-intermediate", f)
        #expect(status(r, "hsts") == .fail)
        #expect(r.verdict == .compliant)
    }

    @Test func nistRejectsChaCha20AndWantsTLS13() throws {
        var f = Fixture()
        f.versions[.tls12] = [0xC02F, 0xCCA8]
        let r = try evaluate("nist-800-52r2", f)
        #expect(status(r, "approved-suites") == .fail)
        f.versions = [.tls12: [0xC02F]]
        #expect(status(try evaluate("nist-800-52r2", f), "versions") == .fail)
    }

    @Test func bsiWantsStrongerKeysAndDH() throws {
        var f = Fixture()
        f.versions[.tls12] = [0xC02F, 0x009E]
        f.dhBits = 2048
        let r = try evaluate("bsi-tr-02102-2", f)
        #expect(status(r, "certificate") == .fail) // RSA 2048 < 3000
        #expect(status(r, "dh-parameters") == .fail)
    }

    // MARK: Custom profiles

    @Test func customYAMLProfile() throws {
        let yaml = """
            format: 1
            id: acme-internal
            name: ACME internal
            version: "2026.1"
            description: Our own rules.
            requirements:
              - id: versions
                title: TLS 1.3 only
                protocols: { allowed: [TLSv1.3] }
                remediation: legacy-protocols
              - id: no-cbc
                title: No CBC
                cipherSuites: { forbid: [cbc] }
            """
        let p = try Profile.parse(yaml, source: "acme.yaml")
        var f = Fixture()
        #expect(ProfileEvaluator.evaluate(p, f.report()).verdict == .notCompliant)
        f.versions = [.tls13: [0x1301]]
        #expect(ProfileEvaluator.evaluate(p, f.report()).verdict == .compliant)
    }

    @Test func customJSONProfile() throws {
        let json = #"{"format": 1, "id": "j", "name": "J", "version": "1", "description": "d", "requirements": [{"id": "x", "title": "x", "hsts": {"minimumMaxAge": 100}}]}"#
        let p = try Profile.parse(json, source: "j.json")
        #expect(p.requirements.first?.hsts?.minimumMaxAge == 100)
    }

    @Test(arguments: [
        ("format: 1\nid: x\nname: x\nversion: '1'\ndescription: d\nrequirements:\n  - id: a\n    title: a\n    protocol: { allowed: [TLSv1.2] }\n", "unknown key 'protocol'"),
        ("format: 1\nid: x\nname: x\nversion: '1'\ndescription: d\nrequirements:\n  - id: a\n    title: a\n", "exactly one rule"),
        ("format: 1\nid: x\nname: x\nversion: '1'\ndescription: d\nrequirements:\n  - id: a\n    title: a\n    protocols: { allowed: [TLSv9] }\n", "unknown protocol version 'TLSv9'"),
        ("format: 1\nid: x\nname: x\nversion: '1'\ndescription: d\nrequirements:\n  - id: a\n    title: a\n    cipherSuites: { forbid: [slow] }\n", "unknown suite class 'slow'"),
        ("format: 1\nid: x\nname: x\nversion: '1'\ndescription: d\nrequirements:\n  - id: a\n    title: a\n    cipherSuites: { allowed: [ECDHE-RSA-AES128-GCM-SHA256] }\n", "use IANA names"),
        ("format: 2\nid: x\nname: x\nversion: '1'\ndescription: d\nrequirements: []\n", "format 2 is not supported"),
        ("id: [unclosed", "not valid YAML"),
        ("format: 1\nname: x\nversion: '1'\ndescription: d\nrequirements: []\n", "missing 'id'"),
    ])
    func badProfilesNameTheProblem(_ text: String, _ expected: String) {
        do {
            _ = try Profile.parse(text, source: "bad.yaml")
            Issue.record("accepted a bad profile")
        } catch let e as ProfileError {
            #expect(e.description.hasPrefix("profile 'bad.yaml': "))
            #expect(e.description.contains(expected), "\(e.description)")
            #expect(!e.description.contains("\n"))
        } catch {
            Issue.record("\(error)")
        }
    }

    /// Fuzz crashes (FuzzTesting/FuzzProfile): Yams' untyped loader trapped on a mapping key that is
    /// a sequence or a mapping; the first is the fuzzer's input, kept in FuzzTesting/Corpus/FuzzProfile.
    @Test(arguments: [
        "requirements:\n  - id: certificate\n    certificate: { trusted: true, ? [sha1]: 1 }\n",
        "{[a]: 1}\n",
        "format: 1\n? {a: b}\n: c\n",
        "x: &a [1]\ny: {*a : 2}\n",
    ])
    func nonStringKeysAreAnErrorNotATrap(_ text: String) {
        #expect(throws: ProfileError.self) { try Profile.parse(text, source: "fuzz.yaml") }
    }

    @Test func aliasBombIsRefused() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(throws: ProfileError.self) { try Profile.parse(text, source: "bomb.yaml") }
    }

    @Test func missingProfileFile() {
        #expect(throws: ProfileError.self) { try Profile.resolve("./no-such-profile.yaml") }
        #expect(throws: ProfileError.self) { try Profile.resolve("no-such-builtin") }
    }
}
