import TLSReport

/// A weakness as the report shows it: what was seen (the scanner's `Finding`, or what follows from
/// the suites the scan found) with the verdict on it: the title, how bad it is, and whether the
/// server has it. `tlsguard scan --format json` writes these under the target's `weaknesses`.
public struct JudgedFinding: Codable, Sendable, Hashable {
    public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
        case info, low, medium, high, critical
        private var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (l: Severity, r: Severity) -> Bool { l.rank < r.rank }
    }

    public var id: FindingID
    public var title: String
    public var check: CheckStatus
    /// true: the server has the weakness; false: it does not; nil: not determined (see `check`).
    public var vulnerable: Bool?
    /// How bad the weakness is when present.
    public var severity: Severity
    /// What was sent and seen, in words.
    public var evidence: String?
    public var cve: [String]?

    init(_ entry: FindingCatalogue.Entry, check: CheckStatus, vulnerable: Bool?, evidence: String?) {
        id = entry.id
        title = entry.title
        severity = entry.severity
        cve = entry.cve
        self.check = check
        self.vulnerable = vulnerable
        self.evidence = evidence
    }

    // The schema's key order is by name (sortedKeys); these are the documented keys.
    private enum CodingKeys: String, CodingKey { case id, title, check, vulnerable, severity, evidence, cve }
}

/// What each weakness is called, how bad it is, and its CVEs: one table for every check.
public enum FindingCatalogue {
    public struct Entry: Sendable {
        public var id: FindingID
        public var title: String
        public var severity: JudgedFinding.Severity
        public var cve: [String]?
    }

    public static let entries: [FindingID: Entry] = Dictionary(uniqueKeysWithValues: [
        Entry(id: .heartbleed, title: "Heartbleed", severity: .critical, cve: ["CVE-2014-0160"]),
        Entry(id: .ccsInjection, title: "OpenSSL CCS injection", severity: .high, cve: ["CVE-2014-0224"]),
        Entry(id: .fallbackSCSV, title: "No TLS_FALLBACK_SCSV (RFC 7507)", severity: .medium),
        Entry(id: .downgradeSentinel, title: "No TLS 1.3 downgrade sentinel", severity: .medium),
        Entry(id: .secureRenegotiation, title: "Insecure renegotiation (RFC 5746)", severity: .high, cve: ["CVE-2009-3555"]),
        Entry(id: .clientRenegotiation, title: "Client-initiated renegotiation", severity: .medium),
        Entry(id: .compression, title: "TLS compression (CRIME)", severity: .high, cve: ["CVE-2012-4929"]),
        Entry(id: .earlyData, title: "0-RTT early data accepted", severity: .low),
        Entry(id: .robot, title: "ROBOT", severity: .critical, cve: ["CVE-2017-13099"]),
        Entry(id: .poodle, title: "POODLE (SSL 3.0 with CBC)", severity: .high, cve: ["CVE-2014-3566"]),
        Entry(id: .beast, title: "BEAST (TLS 1.0 with CBC)", severity: .low, cve: ["CVE-2011-3389"]),
        Entry(id: .sweet32, title: "SWEET32 (64-bit blocks)", severity: .medium, cve: ["CVE-2016-2183"]),
        Entry(id: .rc4, title: "RC4 (RFC 7465)", severity: .high, cve: ["CVE-2013-2566", "CVE-2015-2808"]),
        Entry(id: .nullCipher, title: "NULL-cipher suites", severity: .critical),
        Entry(id: .anonymous, title: "Anonymous suites", severity: .critical),
        Entry(id: .export, title: "Export suites (FREAK)", severity: .critical, cve: ["CVE-2015-0204", "CVE-2015-4000"]),
        Entry(id: .noForwardSecrecy, title: "No forward secrecy", severity: .medium),
        Entry(id: .drown, title: "DROWN (SSL 2.0 on the same key)", severity: .critical, cve: ["CVE-2016-0800"]),
        Entry(id: .dhParameters, title: "Weak DH parameters (Logjam)", severity: .high, cve: ["CVE-2015-4000"]),
    ].map { ($0.id, $0) })

    /// The entry for `id`; an id no check has (a future scanner's) keeps its id as title.
    public static func entry(_ id: FindingID) -> Entry {
        entries[id] ?? Entry(id: id, title: id.rawValue, severity: .medium)
    }
}
