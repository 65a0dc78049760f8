import Testing
import TLSReport
@testable import TLSScanner

/// Checks one finding of a scan: it exists, ran as `status`, says `vulnerable`, and its evidence
/// (or reason) contains `evidence`.
func expect(_ r: TargetReport, _ id: FindingID, vulnerable: Bool?, status: CheckStatus.Status = .completed,
            evidence: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let f = r.judged(id) else {
        Issue.record("no finding \(id)", sourceLocation: sourceLocation)
        return
    }
    #expect(f.check.status == status, "\(id): \(f.check.reason ?? "")", sourceLocation: sourceLocation)
    #expect(f.vulnerable == vulnerable, "\(id): \(f.evidence ?? f.check.reason ?? "")", sourceLocation: sourceLocation)
    if let evidence {
        #expect((f.evidence ?? f.check.reason ?? "").contains(evidence), "\(id): \(f.evidence ?? "")", sourceLocation: sourceLocation)
    }
}
