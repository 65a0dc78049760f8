import TLSPolicy
import TLSReport
import TLSWire

/// A scan with its verdicts: each target's report (observations, from TLSScanner) beside its
/// `PolicyResult` (TLSPolicy). The renderers read both; neither is changed.
struct JudgedScan: Encodable {
    var report: ScanReport
    var policy: [PolicyResult]

    var targets: [(report: TargetReport, policy: PolicyResult)] { Array(zip(report.targets, policy)) }

    /// The documented JSON (docs/report-schema.json): the report as it encodes itself, with the
    /// verdicts written where the schema has them — a target's `weaknesses` (judged), `grade` and
    /// `compliance`, each suite's `strength`, `reasons` and `tags`, each certificate's
    /// `weakSignature` and `weakSignatureReason`, and the HSTS `problems`. Each level encodes its
    /// observation first and then replaces only the keys that carry verdicts (a keyed container
    /// keeps the last value of a key), so a field added to the report reaches the JSON by itself.
    func encode(to encoder: Encoder) throws {
        try Judged(report, replacing: [("targets", targets.map(Self.judged))]).encode(to: encoder)
    }

    private static func judged(_ report: TargetReport, _ policy: PolicyResult) -> Judged<TargetReport> {
        // A target that could not be scanned has no weaknesses judged: it keeps the report's (empty) list.
        let verdict: any Encodable = report.status.status == .completed
            ? policy : UnscannedVerdict(grade: policy.grade, compliance: policy.compliance)
        var replacing: [(String, any Encodable)] = [("protocols", report.protocols.map(judged))]
        if let d = report.defaultNegotiation {
            replacing.append(("defaultNegotiation", Judged(d, replacing: [("cipherSuite", judged(d.cipherSuite))])))
        }
        if let certificates = report.certificates {
            replacing.append(("certificates", Judged(certificates, replacing: [("chains", certificates.chains.map(judged))])))
        }
        if let http = report.http, let hsts = http.hsts {
            replacing.append(("http", Judged(http, replacing: [("hsts", Judged(hsts, verdict: HSTSVerdict(hsts)))])))
        }
        return Judged(report, verdict: verdict, replacing: replacing)
    }

    private static func judged(_ p: ProtocolResult) -> Judged<ProtocolResult> {
        Judged(p, replacing: [("cipherSuites", p.cipherSuites.map(judged))])
    }

    private static func judged(_ s: SuiteResult) -> Judged<SuiteResult> {
        Judged(s, verdict: s.suite.map(SuiteVerdict.init))
    }

    private static func judged(_ chain: ServedChain) -> Judged<ServedChain> {
        let certificates = chain.analysis.certificates.map { Judged($0, verdict: CertificateVerdict($0)) }
        return Judged(chain, replacing: [("analysis", Judged(chain.analysis, replacing: [("certificates", certificates)]))])
    }
}

/// An observation as it encodes itself, then a verdict's own keys and the values under
/// `replacing`'s keys written over it.
private struct Judged<Observation: Encodable>: Encodable {
    var observation: Observation
    var verdict: (any Encodable)?
    var replacing: [(String, any Encodable)]

    init(_ observation: Observation, verdict: (any Encodable)? = nil, replacing: [(String, any Encodable)] = []) {
        self.observation = observation
        self.verdict = verdict
        self.replacing = replacing
    }

    func encode(to encoder: Encoder) throws {
        try observation.encode(to: encoder)
        try verdict?.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        for (key, value) in replacing { try c.encode(value, forKey: Key(key)) }
    }
}

/// The verdicts of a target that could not be scanned: grade and compliance only.
private struct UnscannedVerdict: Encodable {
    var grade: GradeReport?
    var compliance: [ComplianceReport]?
}

/// A coding key by name, for replacing one key of an object already encoded.
private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
