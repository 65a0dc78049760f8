import TLSReport

/// The verdicts on one target, made beside its report (never written into it): the weaknesses
/// judged, the grade, and one verdict per selected profile. Its JSON keys (`weaknesses`, `grade`,
/// `compliance`) sit in the target's object in `tlsguard scan --format json`, as the schema
/// documents (`weaknesses` there is this judged list, in place of the scanner's observations).
public struct PolicyResult: Codable, Sendable {
    /// Every weakness with its verdict (empty when the target could not be scanned).
    public var weaknesses: [JudgedFinding]
    /// nil when the target could not be scanned.
    public var grade: GradeReport?
    /// nil when no profile was selected.
    public var compliance: [ComplianceReport]?

    public init(weaknesses: [JudgedFinding] = [], grade: GradeReport?, compliance: [ComplianceReport]?) {
        self.weaknesses = weaknesses
        self.grade = grade
        self.compliance = compliance
    }

    /// Judges `target`'s weaknesses, grades it and checks it against `profiles` (none: no
    /// compliance verdicts).
    public static func judge(_ target: TargetReport, profiles: [Profile] = [], platform: String? = nil) -> PolicyResult {
        let findings = JudgedFindings(target.status.status == .completed ? WeaknessJudge.judge(target) : [])
        return PolicyResult(weaknesses: findings.all, grade: Grader.grade(target, findings),
                            compliance: profiles.isEmpty ? nil : profiles.map { ProfileEvaluator.evaluate($0, target, findings, platform: platform) })
    }

    /// Whether every selected profile is met (true when none was selected).
    public var meetsEveryProfile: Bool { compliance?.allSatisfy { $0.verdict == .compliant } ?? true }

    /// The judged weakness `id`, if that check ran.
    public func weakness(_ id: FindingID) -> JudgedFinding? { weaknesses.first { $0.id == id } }
}

/// A target's judged weaknesses, looked up by id: what the grade and the profiles read.
public struct JudgedFindings: Sendable {
    public var all: [JudgedFinding]
    public init(_ all: [JudgedFinding]) { self.all = all }
    public subscript(_ id: FindingID) -> JudgedFinding? { all.first { $0.id == id } }
    /// The server has weakness `id` (false when it does not, or when that was not determined).
    public func vulnerable(_ id: FindingID) -> Bool { self[id]?.vulnerable == true }
}

/// The SSL Labs-style grade of a target.
public struct GradeReport: Codable, Sendable, Hashable {
    /// `A+`, `A`, `A-`, `B` … `F`, or `T` (not trusted) / `M` (name mismatch).
    public var grade: String
    /// The grade the configuration would get if trust were ignored (SSL Labs' "if trust issues are ignored").
    public var gradeIgnoringTrust: String?
    /// 0–100, weighted 30/30/40 (nil when a zero category or an F/T/M cap makes it meaningless).
    public var score: Int?
    public var protocolScore: Int?
    public var keyExchangeScore: Int?
    public var cipherScore: Int?
    /// Every cap that applied, with the reason.
    public var caps: [GradeCap]
    /// What keeps an A from A+ or makes it A-.
    public var warnings: [String]
    /// Checks that did not run: where SSL Labs could grade differently.
    public var notEvaluated: [String]
    /// The rules applied.
    public var criteria: String

    public init(grade: String, gradeIgnoringTrust: String? = nil, score: Int? = nil, protocolScore: Int? = nil,
                keyExchangeScore: Int? = nil, cipherScore: Int? = nil, caps: [GradeCap] = [], warnings: [String] = [],
                notEvaluated: [String] = [], criteria: String) {
        self.grade = grade
        self.gradeIgnoringTrust = gradeIgnoringTrust
        self.score = score
        self.protocolScore = protocolScore
        self.keyExchangeScore = keyExchangeScore
        self.cipherScore = cipherScore
        self.caps = caps
        self.warnings = warnings
        self.notEvaluated = notEvaluated
        self.criteria = criteria
    }
}

public struct GradeCap: Codable, Sendable, Hashable {
    /// The highest grade this rule allows (`B`, `C`, `F`, `T`, `M`, `A` for "no A+").
    public var grade: String
    public var reason: String
    public init(grade: String, reason: String) {
        self.grade = grade
        self.reason = reason
    }
}

/// One target against one compliance profile.
public struct ComplianceReport: Codable, Sendable {
    public enum Verdict: String, Codable, Sendable { case compliant, notCompliant, notEvaluated }
    public var profile: String
    public var name: String
    public var version: String
    public var verdict: Verdict
    public var requirements: [RequirementResult]

    public init(profile: String, name: String, version: String, verdict: Verdict, requirements: [RequirementResult]) {
        self.profile = profile
        self.name = name
        self.version = version
        self.verdict = verdict
        self.requirements = requirements
    }
}

public struct RequirementResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable { case pass, fail, notEvaluated }
    public enum Level: String, Codable, Sendable { case must, should }
    public var id: String
    public var title: String
    public var level: Level
    public var status: Status
    /// What was seen, in words.
    public var evidence: String
    /// For a failure: what to change, per platform.
    public var remediation: [RemediationStep]?

    public init(id: String, title: String, level: Level, status: Status, evidence: String, remediation: [RemediationStep]? = nil) {
        self.id = id
        self.title = title
        self.level = level
        self.status = status
        self.evidence = evidence
        self.remediation = remediation
    }
}

public struct RemediationStep: Codable, Sendable, Hashable {
    /// `generic`, `nginx`, `apache`, `haproxy`, `iis`, `dotnet`, `java`, `openssl`.
    public var platform: String
    public var steps: [String]
    public init(platform: String, steps: [String]) {
        self.platform = platform
        self.steps = steps
    }
}
