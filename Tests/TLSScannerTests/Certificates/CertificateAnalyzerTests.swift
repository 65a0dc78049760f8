import Crypto
import Foundation
import SwiftASN1
import Testing
@testable import TestSupport
import X509

import TLSPolicy
import TLSReport
@testable import TLSScanner

@Suite("CertificateAnalyzer")
struct CertificateAnalyzerTests {
    let pki: TestPKI
    let root: Certificate
    let rootName = "CN=Test Root CA,O=tlsguard tests"
    let intermediateName = "CN=Test Intermediate CA,O=tlsguard tests"

    init() throws {
        pki = try TestPKI.shared.get()
        root = try TestPKI.certificate(pki.root)
    }

    /// Private-CA options: the test root only, so results do not depend on the machine's store.
    func options(hostname: String? = "localhost", ip: String? = nil, now: Date = Date(), roots: [Certificate]? = nil)
        -> CertificateCheckOptions
    {
        CertificateCheckOptions(
            hostname: hostname, ipAddress: ip, now: now, extraRoots: roots ?? [root], useSystemRoots: false)
    }

    func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }

    // MARK: Trusted

    @Test func cleanChainIsTrustedWithNoProblems() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, pki.intermediate], options: options())
        #expect(report.check == .completed)
        #expect(report.trusted == true)
        #expect(report.trustProblems == [])
        #expect(report.hostnameMatches == true)
        #expect(report.hostnameProblem == nil)
        #expect(report.chainProblems == [])
        #expect(report.verifiedChain == ["CN=localhost", intermediateName, rootName])
    }

    @Test func cleanChainIsTrustedAlongsideTheSystemStore() async throws {
        let options = CertificateCheckOptions(hostname: "localhost", extraRoots: [root])
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, pki.intermediate], options: options)
        #expect(report.trusted == true)
        #expect(report.trustProblems == [])
        #expect(report.chainProblems == [])
    }

    @Test func leafSummaryMatchesOpenSSL() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, pki.intermediate], options: options())
        let leaf = try #require(report.certificates.first)
        #expect(report.certificates.count == 2)
        #expect(leaf.subject == "CN=localhost")
        #expect(leaf.issuer == intermediateName)
        #expect(leaf.serialNumber == "1001")
        #expect(leaf.keyType == "ECDSA")
        #expect(leaf.keyBits == 256)
        #expect(leaf.curve == "P-256")
        #expect(leaf.signatureAlgorithm == "sha256WithRSAEncryption")
        #expect(CertificateVerdict(leaf).weakSignature == false)
        #expect(CertificateVerdict(leaf).weakSignatureReason == nil)
        #expect(leaf.subjectAlternativeNames == ["localhost", "127.0.0.1"])
        #expect(leaf.isCA == false)
        #expect(leaf.selfIssued == false)
        #expect(leaf.ocspURLs == ["http://ocsp.test.invalid/"])
        #expect(leaf.caIssuersURLs == ["http://ca.test.invalid/intermediate.der"])
        #expect(leaf.mustStaple == false)
        #expect(leaf.hasEmbeddedSCTs == false)
        #expect(leaf.keyUsage == ["digitalSignature"])
        #expect(leaf.extendedKeyUsage == ["serverAuth"])
        #expect(leaf.expired == false)
        #expect(leaf.notYetValid == false)
        #expect(leaf.notAfter.timeIntervalSince(leaf.notBefore) == 90 * 86_400)
        #expect((88...90).contains(leaf.daysLeft))

        let fingerprint = try TestPKI.openssl(
            ["x509", "-in", "leaf.pem", "-noout", "-fingerprint", "-sha256"], in: pki.directory)
        let expected = fingerprint.split(separator: "=").last!.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: ":", with: "").lowercased()
        #expect(leaf.sha256Fingerprint == expected)

        let intermediate = report.certificates[1]
        #expect(intermediate.keyType == "RSA")
        #expect(intermediate.keyBits == 2048)
        #expect(intermediate.curve == nil)
        #expect(intermediate.isCA == true)
        #expect(intermediate.keyUsage == ["keyCertSign", "cRLSign"])
        #expect(intermediate.extendedKeyUsage == nil)
    }

    // MARK: Host name

    @Test func trustedChainWithTheWrongNameSaysBoth() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.intermediate], options: options(hostname: "example.com"))
        #expect(report.trusted == true)
        #expect(report.trustProblems == [])
        #expect(report.hostnameMatches == false)
        #expect(report.hostnameProblem == "name mismatch: served for localhost, 127.0.0.1, asked for example.com")
    }

    @Test func noNameAskedLeavesTheNameCheckOut() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.intermediate], options: options(hostname: nil))
        #expect(report.hostnameMatches == nil)
        #expect(report.hostnameProblem == nil)
    }

    /// A self-signed leaf made here, for the name check only: the subject's common name and the
    /// subjectAltName extension (its raw value) as given.
    func nameCheckLeaf(commonName: String?, subjectAltName: [UInt8]?) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let subject = try commonName.map { cn in try DistinguishedName { CommonName(cn) } }
            ?? DistinguishedName { OrganizationName("tlsguard tests") }
        let extensions = subjectAltName.map {
            [Certificate.Extension(oid: .X509ExtensionID.subjectAlternativeName, critical: false, value: $0[...])]
        } ?? []
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date() - 3600, notValidAfter: Date() + 86400, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: try Certificate.Extensions(extensions),
            issuerPrivateKey: Certificate.PrivateKey(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    @Test func commonNameOnlyIsSaidSo() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [try nameCheckLeaf(commonName: "localhost", subjectAltName: nil)], options: options())
        // swift-certificates' ServerIdentityPolicy falls back to the common name when there is no
        // subjectAltName; the report says so, since browsers do not.
        #expect(report.hostnameMatches == true)
        #expect(report.hostnameProblem == "matched the common name only: the certificate has no subjectAltName, which browsers require")
        let other = await CertificateAnalyzer.analyze(
            chain: [try nameCheckLeaf(commonName: "localhost", subjectAltName: nil)], options: options(hostname: "example.com"))
        #expect(other.hostnameMatches == false)
        #expect(other.hostnameProblem == "name mismatch: served for localhost (common name only, no subjectAltName), asked for example.com")
    }

    @Test func unparsableSubjectAltNameIsSaidSo() async throws {
        // An OCTET STRING where GeneralNames (a SEQUENCE) belongs.
        let report = await CertificateAnalyzer.analyze(
            chain: [try nameCheckLeaf(commonName: nil, subjectAltName: [0x04, 0x01, 0x00])], options: options())
        #expect(report.hostnameMatches == false)
        #expect(report.hostnameProblem == "name mismatch: the subjectAltName extension cannot be parsed, asked for localhost")
    }

    @Test func certificateThatNamesNoHost() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [try nameCheckLeaf(commonName: nil, subjectAltName: nil)], options: options())
        #expect(report.hostnameMatches == false)
        #expect(report.hostnameProblem?.hasPrefix("name mismatch: the certificate names no host") == true)
    }

    @Test(arguments: [("127.0.0.1", true), ("127.0.0.2", false)])
    func ipAddressIsMatchedAgainstIPEntries(ip: String, matches: Bool) async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.intermediate], options: options(hostname: nil, ip: ip))
        #expect(report.hostnameMatches == matches)
        #expect(
            report.hostnameProblem
                == (matches ? nil : "name mismatch: served for localhost, 127.0.0.1, asked for \(ip)"))
    }

    @Test(arguments: [
        ("a.example", true), ("x.b.example", true), ("c.example", false), ("y.x.b.example", false),
        ("b.example", false),
    ])
    func wildcardNames(hostname: String, matches: Bool) async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.wildcardLeaf, pki.intermediate], options: options(hostname: hostname))
        #expect(report.trusted == true)
        #expect(report.hostnameMatches == matches)
        if !matches {
            #expect(
                report.hostnameProblem == "name mismatch: served for a.example, *.b.example, ::1, asked for \(hostname)"
            )
        }
    }

    // MARK: Dates

    @Test func expiredLeaf() async throws {
        let notAfter = try #require(
            await CertificateAnalyzer.analyze(chain: [pki.leaf], options: options()).certificates.first
        ).notAfter
        let now = notAfter.addingTimeInterval(12 * 86_400 + 3_600)
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, pki.intermediate], options: options(now: now))
        #expect(report.trusted == false)
        #expect(report.trustProblems == ["expired 12 days ago (notAfter \(day(notAfter)))"])
        #expect(report.hostnameMatches == true)
        #expect(report.verifiedChain == nil)
        let leaf = report.certificates[0]
        #expect(leaf.expired)
        #expect(leaf.daysLeft == -12, "the same number as the trust problem's 'expired 12 days ago'")
        #expect(report.certificates[1].expired == false)
    }

    @Test func notYetValidLeaf() async throws {
        let notBefore = try #require(
            await CertificateAnalyzer.analyze(chain: [pki.leaf], options: options()).certificates.first
        ).notBefore
        let now = notBefore.addingTimeInterval(-3 * 86_400)
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, pki.intermediate], options: options(now: now))
        #expect(report.trusted == false)
        // The whole chain was made at the same moment, so all three are not yet valid.
        #expect(report.trustProblems.first == "not valid until \(day(notBefore)) (notBefore)")
        #expect(report.trustProblems.contains { $0.hasPrefix("intermediate '\(intermediateName)' not valid until ") })
        #expect(report.trustProblems.contains { $0.hasPrefix("root '\(rootName)' not valid until ") })
        #expect(report.certificates[0].notYetValid)
    }

    @Test func expiredIntermediate() async throws {
        let chain = [pki.leafUnderShortIntermediate, pki.shortIntermediate]
        let notAfter = try #require(
            await CertificateAnalyzer.analyze(chain: chain, options: options()).certificates.last
        ).notAfter
        let now = notAfter.addingTimeInterval(2 * 86_400 + 3_600)
        let report = await CertificateAnalyzer.analyze(chain: chain, options: options(now: now))
        #expect(report.trusted == false)
        #expect(
            report.trustProblems == [
                "intermediate 'CN=Short-lived Intermediate CA,O=tlsguard tests' expired 2 days ago (notAfter \(day(notAfter)))"
            ]
        )
        #expect(report.chainProblems == [])
    }

    // MARK: Untrusted

    @Test func issuerThatIsNotACA() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.signedByLeaf, pki.leaf, pki.intermediate], options: options(hostname: "child.localhost"))
        #expect(report.trusted == false)
        #expect(
            report.trustProblems == [
                "'CN=localhost' issued 'CN=child.localhost' but is not a CA certificate (basicConstraints)"
            ])
        #expect(report.hostnameMatches == true)
        #expect(report.chainProblems == [])
    }

    @Test func selfSignedLeaf() async throws {
        let options = CertificateCheckOptions(hostname: "localhost")
        let report = await CertificateAnalyzer.analyze(chain: [pki.selfSignedLeaf], options: options)
        #expect(report.check == .completed)
        #expect(report.trusted == false)
        #expect(report.trustProblems == ["self-signed certificate (not in any trust store)"])
        #expect(report.hostnameMatches == true)
        #expect(report.chainProblems == [])
        #expect(report.certificates[0].selfIssued)
    }

    @Test func selfSignedCALeafPinnedThroughCAFileIsTrusted() async throws {
        let pinned = try TestPKI.certificate(pki.caLeaf)
        let report = await CertificateAnalyzer.analyze(chain: [pki.caLeaf], options: options(roots: [pinned]))
        #expect(report.trusted == true)
        #expect(report.trustProblems == [])
        #expect(report.verifiedChain == ["CN=localhost"])
    }

    /// swift-certificates' RFC5280Policy refuses a trust anchor without CA:TRUE, even when pinned.
    @Test func selfSignedNonCALeafPinnedThroughCAFileIsNotTrusted() async throws {
        let pinned = try TestPKI.certificate(pki.selfSignedLeaf)
        let report = await CertificateAnalyzer.analyze(chain: [pki.selfSignedLeaf], options: options(roots: [pinned]))
        #expect(report.trusted == false)
        #expect(
            report.trustProblems == [
                "'CN=localhost' is in the trust store but is not a CA certificate (basicConstraints), so it cannot be its own root"
            ]
        )
    }

    @Test func untrustedRoot() async throws {
        let options = CertificateCheckOptions(hostname: "localhost")
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, pki.intermediate, pki.root], options: options)
        #expect(report.trusted == false)
        #expect(report.trustProblems == ["untrusted root '\(rootName)' (not in the system store or --ca-file)"])
        #expect(report.chainProblems == ["root certificate sent (unnecessary)"])
    }

    @Test func untrustedRootWithoutTheSystemStore() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.intermediate, pki.root], options: options(roots: []))
        #expect(
            report.trustProblems == ["untrusted root '\(rootName)' (not in --ca-file; the system store is not used)"])
    }

    @Test func missingIntermediate() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf], options: options())
        #expect(report.trusted == false)
        #expect(
            report.trustProblems == [
                "intermediate missing: the server did not send the certificate that issued 'CN=localhost' and it is not in the trust store (issuer '\(intermediateName)')"
            ]
        )
        #expect(
            report.chainProblems == [
                "incomplete chain: the issuer of 'CN=localhost' ('\(intermediateName)') was not sent"
            ])
        #expect(report.missingIssuer == intermediateName)
        #expect(report.hostnameMatches == true)
    }

    /// Leaf and intermediate sent, the root in no store: an unknown root, not a missing
    /// intermediate (servers need not send the root), so no incomplete-chain cap.
    @Test func unknownRootAboveASentIntermediate() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, pki.intermediate], options: options(roots: []))
        #expect(report.trusted == false)
        #expect(
            report.trustProblems == [
                "not trusted: unknown root '\(rootName)', the issuer of '\(intermediateName)' (not in --ca-file; the system store is not used)"
            ])
        #expect(report.missingIssuer == nil)
        #expect(report.chainProblems == [])
    }

    /// A private CA's leaf (issued by the root, no caIssuers URL) from a server that sends only the
    /// leaf: with the root it is trusted; without, the issuer is unknown — not "intermediate missing".
    @Test func privateLeafWithoutItsRoot() async throws {
        let trusted = await CertificateAnalyzer.analyze(chain: [pki.privateLeaf], options: options())
        #expect(trusted.trusted == true, "\(trusted.trustProblems)")
        #expect(trusted.chainProblems == [])
        let report = await CertificateAnalyzer.analyze(chain: [pki.privateLeaf], options: options(roots: []))
        #expect(report.trusted == false)
        #expect(report.trustProblems.count == 1)
        #expect(report.trustProblems.first?.hasPrefix("not trusted: unknown issuer '\(rootName)' of 'CN=localhost'") == true, "\(report.trustProblems)")
        #expect(report.missingIssuer == nil)
        #expect(report.chainProblems == [])
    }

    @Test func missingIntermediateOfAnExpiredLeafIsTheLastProblem() async throws {
        let notAfter = try #require(
            await CertificateAnalyzer.analyze(chain: [pki.leaf], options: options()).certificates.first
        ).notAfter
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf], options: options(now: notAfter.addingTimeInterval(12 * 86_400 + 3_600)))
        #expect(report.trusted == false)
        #expect(report.missingIssuer == intermediateName)
        #expect(report.trustProblems.count == 2)
        #expect(report.trustProblems.first == "expired 12 days ago (notAfter \(day(notAfter)))")
        #expect(report.trustProblems.last?.hasPrefix("intermediate missing: ") == true)
    }

    @Test func intermediateFoundOnlyInTheTrustStoreIsAnIncompleteChain() async throws {
        let intermediate = try TestPKI.certificate(pki.intermediate)
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf], options: options(roots: [root, intermediate]))
        #expect(report.trusted == true)
        #expect(
            report.chainProblems == [
                "incomplete chain: intermediate '\(intermediateName)' was not sent (found in the trust store)"
            ])
    }

    @Test func issuerNamedRightButWithAnotherKey() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, pki.impostorIntermediate], options: options())
        #expect(report.trusted == false)
        #expect(
            report.trustProblems == [
                "certificate 2 is named '\(intermediateName)' like the issuer of 'CN=localhost' but did not sign it"
            ])
        #expect(report.chainProblems.contains("unrelated certificate sent: '\(intermediateName)'"))
    }

    // MARK: Chain shape

    @Test func wrongOrder() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.root, pki.intermediate], options: options())
        #expect(report.trusted == true)
        #expect(
            report.chainProblems == [
                "wrong order: certificate 2 does not issue certificate 1", "root certificate sent (unnecessary)",
            ])
    }

    @Test func unrelatedCertificate() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.intermediate, pki.unrelated], options: options())
        #expect(report.trusted == true)
        #expect(report.chainProblems == ["unrelated certificate sent: 'CN=Unrelated'"])
    }

    @Test func unrelatedCertificateBetweenLeafAndIssuer() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.unrelated, pki.intermediate], options: options())
        #expect(report.trusted == true)
        #expect(
            report.chainProblems == [
                "wrong order: certificate 2 does not issue certificate 1", "unrelated certificate sent: 'CN=Unrelated'",
            ]
        )
    }

    @Test func duplicateCertificate() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.intermediate, pki.intermediate], options: options())
        #expect(report.trusted == true)
        #expect(report.chainProblems == ["duplicate certificate sent: certificate 3 repeats certificate 2"])
    }

    @Test func leafIsACACertificate() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.caLeaf], options: CertificateCheckOptions(hostname: "localhost"))
        #expect(report.chainProblems == ["leaf is a CA certificate"])
        #expect(report.trustProblems == ["self-signed certificate (not in any trust store)"])
        #expect(report.certificates[0].isCA)
    }

    // MARK: Keys and signatures

    /// An RSA-1024 leaf gets a verdict, not "could not evaluate": no modern client accepts it.
    @Test func rsa1024LeafIsNotTrustedForItsKey() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.rsa1024Leaf, pki.intermediate], options: options(hostname: "localhost"))
        #expect(report.check == .completed)
        let leaf = report.certificates[0]
        #expect(leaf.keyType == "RSA")
        #expect(leaf.keyBits == 1024)
        #expect(report.trusted == false)
        #expect(
            report.trustProblems == [
                "not trusted: the leaf has a 1024-bit RSA key: modern clients refuse RSA keys under 2048 bits"
            ]
        )
        let verdict = CertificateVerdict(leaf)
        #expect(verdict.weakKey)
        #expect(verdict.weakKeyReason == "1024-bit RSA key: under 2048 bits, which modern clients and CAs refuse")
        #expect(CertificateVerdict(report.certificates[1]).weakKey == false)
        #expect(report.hostnameMatches == true)
        #expect(report.chainProblems == [])
    }

    @Test func sha1SignedLeaf() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.sha1Leaf, pki.intermediate], options: options())
        let leaf = report.certificates[0]
        #expect(leaf.signatureAlgorithm == "sha1WithRSAEncryption")
        #expect(CertificateVerdict(leaf).weakSignature == true)
        #expect(CertificateVerdict(leaf).weakSignatureReason?.hasPrefix("SHA-1 signature") == true)
        // swift-certificates still verifies SHA-1 RSA signatures: judging them is the policy layer's job.
        #expect(report.trusted == true)
    }

    @Test func md5SignedLeaf() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.md5Leaf, pki.intermediate], options: options())
        let leaf = report.certificates[0]
        #expect(leaf.signatureAlgorithm == "md5WithRSAEncryption")
        #expect(CertificateVerdict(leaf).weakSignature == true)
        #expect(report.trusted == nil)
        #expect(
            report.trustProblems == [
                "could not evaluate trust: certificate 1 ('CN=md5.localhost') is signed with md5WithRSAEncryption, which swift-certificates does not support"
            ]
        )
    }

    @Test func sha1OnASelfSignedRootIsNotWeak() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.sha1Root], options: options(hostname: nil))
        let root = report.certificates[0]
        #expect(root.signatureAlgorithm == "sha1WithRSAEncryption")
        #expect(root.selfSigned)
        #expect(CertificateVerdict(root).weakSignature == false)
        #expect(CertificateVerdict(root).weakSignatureReason?.contains("self-signed root") == true)
    }

    @Test func ecdsaP384() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.p384Leaf], options: options(hostname: nil))
        let leaf = report.certificates[0]
        #expect(leaf.keyType == "ECDSA")
        #expect(leaf.keyBits == 384)
        #expect(leaf.curve == "P-384")
        #expect(leaf.signatureAlgorithm == "ecdsa-with-SHA384")
        #expect(CertificateVerdict(leaf).weakSignature == false)
    }

    @Test func ed25519() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.ed25519Leaf], options: options(hostname: nil))
        let leaf = report.certificates[0]
        #expect(leaf.keyType == "Ed25519")
        #expect(leaf.keyBits == 256)
        #expect(leaf.curve == nil)
        #expect(leaf.signatureAlgorithm == "Ed25519")
    }

    @Test func mustStaple() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.mustStapleLeaf, pki.intermediate], options: options())
        #expect(report.certificates[0].mustStaple == true)
        #expect(report.trusted == true)
    }

    // MARK: Garbage

    @Test(arguments: [
        [UInt8](),
        [0x30, 0x03, 0x02, 0x01],
        [0x30, 0x03, 0x02, 0x01, 0x01],
        [0x04, 0x02, 0xAB, 0xCD],
        Array(repeating: 0xFF, count: 64),
    ])
    func garbageDERIsAnErrorNotACrash(garbage: [UInt8]) async throws {
        let report = await CertificateAnalyzer.analyze(chain: [pki.leaf, garbage], options: options())
        #expect(report.check.status == .error)
        let reason = try #require(report.check.reason)
        #expect(reason.hasPrefix("certificate 2 is not valid DER: "))
        #expect(reason.count > "certificate 2 is not valid DER: ".count + 5)
        #expect(!reason.hasSuffix(":") && !reason.hasSuffix(" "))
        #expect(!reason.contains("\n"))
        #expect(!reason.contains(".swift:"))
        #expect(report.trusted == nil)
        #expect(report.certificates.count == 1)
    }

    @Test func truncatedAndPaddedCertificatesAreErrors() async throws {
        for bad in [Array(pki.leaf.dropLast()), pki.leaf + [0]] {
            let report = await CertificateAnalyzer.analyze(chain: [bad], options: options())
            #expect(report.check.reason?.hasPrefix("certificate 1 is not valid DER: ") == true)
        }
    }

    @Test func emptyChainIsAnError() async throws {
        let report = await CertificateAnalyzer.analyze(chain: [], options: options())
        #expect(report.check == .error("the server sent no certificates"))
    }

    // MARK: --ca-file

    @Test func loadCAFileReadsABundle() throws {
        let bundle = pki.path("bundle.pem")
        let text =
            try String(contentsOfFile: pki.path("root.pem"), encoding: .utf8)
            + String(contentsOfFile: pki.path("intermediate.pem"), encoding: .utf8)
        try text.write(toFile: bundle, atomically: true, encoding: .utf8)
        let certificates = try CertificateAnalyzer.loadCAFile(bundle)
        #expect(certificates.map { String(describing: $0.subject) } == [rootName, intermediateName])
    }

    @Test func loadCAFileMissing() throws {
        let path = pki.path("does-not-exist.pem")
        let error = try #require(throws: CAFileError.self) { try CertificateAnalyzer.loadCAFile(path) }
        #expect(error.description == "CA file '\(path)': no such file")
        #expect(error.code == .unreadable)
    }

    @Test func loadCAFileNotPEM() throws {
        let path = pki.path("notes.txt")
        try "this is not a certificate\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: CAFileError.self) { try CertificateAnalyzer.loadCAFile(path) }
        #expect(
            error.description
                == "CA file '\(path)': no PEM certificate found (expected '-----BEGIN CERTIFICATE-----' blocks)")
        #expect(error.code == .noCertificates)
    }

    @Test func loadCAFileDERIsNotPEM() throws {
        let path = pki.path("root.der")
        let error = try #require(throws: CAFileError.self) { try CertificateAnalyzer.loadCAFile(path) }
        #expect(
            error.description
                == "CA file '\(path)': holds a DER certificate, not PEM (convert it: openssl x509 -inform der -in \(path) -out ca.pem)"
        )
    }

    @Test func loadCAFileWithOnlyAKey() throws {
        let error = try #require(throws: CAFileError.self) { try CertificateAnalyzer.loadCAFile(pki.path("root.key")) }
        #expect(error.description == "CA file '\(pki.path("root.key"))': no CERTIFICATE block (found PRIVATE KEY)")
    }

    @Test func loadCAFileWithABrokenBlock() throws {
        let path = pki.path("broken.pem")
        try "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: CAFileError.self) { try CertificateAnalyzer.loadCAFile(path) }
        #expect(
            error.description
                == "CA file '\(path)': not valid PEM: invalidPEMDocument: PEMDocument not correctly base64 encoded")
    }

    @Test func loadCAFileWithAnRSA1024Root() throws {
        let path = pki.path("weak-bundle.pem")
        let pem = try String(contentsOfFile: pki.path("rsa1024.pem"), encoding: .utf8)
        try pem.write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: CAFileError.self) { try CertificateAnalyzer.loadCAFile(path) }
        #expect(
            error.description
                == "CA file '\(path)': certificate 1 ('CN=weak.localhost') has a 1024-bit RSA key, which swift-certificates cannot verify (minimum 2048)"
        )
    }

    @Test func loadCAFileDirectory() throws {
        let error = try #require(throws: CAFileError.self) { try CertificateAnalyzer.loadCAFile(pki.directory.path) }
        #expect(error.description == "CA file '\(pki.directory.path)': is a directory, not a PEM file")
    }

    // MARK: JSON

    @Test func reportEncodesCamelCaseWithISO8601Dates() async throws {
        let report = await CertificateAnalyzer.analyze(
            chain: [pki.leaf, pki.intermediate], options: options(hostname: "example.com"))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        for key in [
            "trustProblems", "hostnameMatches", "hostnameProblem", "chainProblems", "verifiedChain",
            "sha256Fingerprint", "caIssuersURLs", "selfSigned",
        ] {
            #expect(json.contains("\"\(key)\""), "missing \(key)")
        }
        #expect(json.range(of: #""notAfter":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""#, options: .regularExpression) != nil)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(CertificateChainReport.self, from: Data(json.utf8))
        #expect(decoded.certificates == report.certificates)
        #expect(decoded.hostnameProblem == report.hostnameProblem)
    }

    // MARK: Helpers

    @Test(arguments: [
        ([UInt8](repeating: 0, count: 15) + [1], "::1"),
        ([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1], "2001:db8::1"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8:0:1::1"),
        ([10, 0, 0, 1], "10.0.0.1"),
    ])
    func ipFormatting(bytes: [UInt8], text: String) {
        #expect(DecodedCertificate.formatIP(bytes) == text)
    }
}
