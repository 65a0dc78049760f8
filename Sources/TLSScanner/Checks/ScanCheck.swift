import TLSReport

/// One check of a scan, in the spirit of sslyze's scan commands: what it needs from the scan so
/// far (its stored properties), the probes it asks for (each at most one connection), and the
/// observation it makes of their answers. It never opens a connection itself: the probe runner
/// (`ProbeSession`) owns the connection caps, retries, read deadlines, cancellation (a cancelled
/// scan closes its sockets: `ConnectionDriver`) and the connection count, kept under the check's
/// `step` (`TargetReport.connectionsByCheck`).
protocol ScanCheck: Sendable {
    associatedtype Observation: Sendable
    /// What the connections this check opens are counted as.
    static var step: ScanStep { get }
    func run(_ probes: ProbeSession) async -> Observation
}

extension ProbeSession {
    /// Runs a check, its connections counted under its step.
    func run<C: ScanCheck>(_ check: C) async -> C.Observation {
        await during(C.step) { await check.run(self) }
    }
}
