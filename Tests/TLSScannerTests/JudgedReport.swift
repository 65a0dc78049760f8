import TLSPolicy
import TLSReport

extension TargetReport {
    /// The weaknesses as the report shows them: TLSPolicy's verdict over the scanner's observations
    /// and the suites it found.
    var judgedWeaknesses: [JudgedFinding] { WeaknessJudge.judge(self) }
    func judged(_ id: FindingID) -> JudgedFinding? { judgedWeaknesses.first { $0.id == id } }
}
