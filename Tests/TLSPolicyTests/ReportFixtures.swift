import Foundation
@testable import TLSPolicy
import TLSReport
@testable import TLSScanner
import TLSWire

/// Builds scan reports by hand for unit tests of the grade and profile rules.
struct Fixture {
    var versions: [ProtocolVersion: [UInt16]] = [.tls12: [0xC02F, 0xC030], .tls13: [0x1301, 0x1302]]
    var keyType: CertificateKeyType = "RSA"
    var keyBits = 2048
    var signature = "sha256WithRSAEncryption"
    var trusted: Bool? = true
    var trustProblems: [String] = []
    var missingIssuer: String?
    var hostnameMatches: Bool? = true
    var dhBits: Int?
    var groups12: [NamedGroup] = [.x25519, .secp256r1]
    var vulnerable: Set<String> = []
    var notRun: Set<String> = ["client_renegotiation", "robot"]
    var hstsMaxAge: Int? = 63_072_000
    var ocspStapling = false
    var validityDays = 90

    func report() -> TargetReport {
        var t = TargetReport(target: "example.com:443", host: "example.com", port: 443, sni: "example.com", address: "192.0.2.1",
                             status: .completed, startedAt: Date())
        for v in [ProtocolVersion.sslv2, .sslv3, .tls10, .tls11, .tls12, .tls13] {
            let codes = versions[v] ?? []
            var p = ProtocolResult(version: v, check: .completed, supported: !codes.isEmpty,
                                   cipherSuites: codes.map { SuiteResult(CipherSuite($0)) })
            if v == .tls12 && !codes.isEmpty {
                p.groups = GroupsResult(check: .completed, groups: groups12.map(GroupResult.init))
                p.dhParameterBits = dhBits
            }
            if v == .tls13 && !codes.isEmpty { p.groups = GroupsResult(check: .completed, groups: [GroupResult(.x25519)]) }
            t.protocols.append(p)
        }
        let now = Date()
        let leaf = CertificateSummary(
            subject: "CN=example.com", issuer: "CN=Example CA", serialNumber: "01", notBefore: now.addingTimeInterval(-86400),
            notAfter: now.addingTimeInterval(Double(validityDays - 1) * 86400), daysLeft: validityDays - 1, expired: false, notYetValid: false,
            keyType: keyType, keyBits: keyBits, curve: nil, signatureAlgorithm: signature,
            subjectAlternativeNames: ["example.com"], isCA: false, selfIssued: false, selfSigned: false, sha256Fingerprint: "00", ocspURLs: [],
            caIssuersURLs: [], mustStaple: false, hasEmbeddedSCTs: false, keyUsage: nil, extendedKeyUsage: nil)
        let analysis = CertificateChainReport(check: .completed, certificates: [leaf], trusted: trusted, trustProblems: trustProblems, missingIssuer: missingIssuer,
                                              hostnameMatches: hostnameMatches,
                                              hostnameProblem: hostnameMatches == false ? "name mismatch: served for other.example, asked for example.com" : nil)
        t.certificates = CertificatesResult(check: .completed, chains: [ServedChain(servedFor: ["TLSv1.2"], keyType: keyType, analysis: analysis)])
        // The probes' observations; what follows from the suites (POODLE, RC4, DROWN …) TLSPolicy
        // judges from `versions`.
        let ids: [FindingID] = [.heartbleed, .ccsInjection, .fallbackSCSV, .downgradeSentinel, .secureRenegotiation,
                                .clientRenegotiation, .compression, .earlyData, .robot]
        t.weaknesses = ids.map { id in
            notRun.contains(id.rawValue) ? Finding(id, check: .notRun("not implemented"))
                : Finding(id, seen: vulnerable.contains(id.rawValue), evidence: "fixture")
        }
        t.features = FeatureReport(check: .completed, version: .tls12, alpn: "h2", extendedMasterSecret: true,
                                   secureRenegotiation: !vulnerable.contains("secure_renegotiation"), sessionTickets: true, sessionIDs: true,
                                   ocspStapling: ocspStapling, heartbeat: false, resumption: .notRun("x"), earlyData: .notRun("x"))
        t.http = HTTPResult(check: .completed, statusLine: "HTTP/1.1 200 OK", statusCode: 200,
                            hsts: HSTSPolicy.parse(hstsMaxAge.map { "max-age=\($0)" }))
        return t
    }
}
