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
    /// `compliance`, and each suite's `strength`, `reasons` and `tags`. Each level encodes its
    /// observation first and then replaces only the keys that carry verdicts (a keyed container
    /// keeps the last value of a key), so a field added to the report reaches the JSON by itself.
    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(targets.map { JudgedTarget(report: $0.report, policy: $0.policy) }, forKey: Key("targets"))
    }
}

/// A coding key by name, for replacing one key of an object already encoded.
private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct JudgedTarget: Encodable {
    var report: TargetReport
    var policy: PolicyResult
    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        if report.status.status == .completed {
            try policy.encode(to: encoder)
        } else {
            // A target that could not be scanned has no weaknesses judged: keep the report's (empty) list.
            var c = encoder.container(keyedBy: Key.self)
            try c.encodeIfPresent(policy.grade, forKey: Key("grade"))
            try c.encodeIfPresent(policy.compliance, forKey: Key("compliance"))
        }
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(report.protocols.map(JudgedProtocol.init), forKey: Key("protocols"))
        if let d = report.defaultNegotiation { try c.encode(JudgedNegotiation(negotiation: d), forKey: Key("defaultNegotiation")) }
    }
}

private struct JudgedProtocol: Encodable {
    var result: ProtocolResult
    func encode(to encoder: Encoder) throws {
        try result.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(result.cipherSuites.map(JudgedSuite.init), forKey: Key("cipherSuites"))
    }
}

private struct JudgedNegotiation: Encodable {
    var negotiation: Negotiation
    func encode(to encoder: Encoder) throws {
        try negotiation.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(JudgedSuite(suite: negotiation.cipherSuite), forKey: Key("cipherSuite"))
    }
}

private struct JudgedSuite: Encodable {
    var suite: SuiteResult
    func encode(to encoder: Encoder) throws {
        try suite.encode(to: encoder)
        if let s = suite.suite { try SuiteVerdict(s).encode(to: encoder) }
    }
}
