import Foundation
import TLSGateway

/// The policy `tlsguard impact` tests: a gateway runtime (its policy engine and the TLS contexts
/// it really builds) and the moment at which that policy is judged.
public struct ImpactPolicy: Sendable {
    /// When the policy is applied.
    public enum Moment: Sendable, Hashable {
        /// Each host's policy as it will be once it enforces: at its cutoff (or enforced now when it
        /// has none), as the client check's "after the cutoff" does.
        case enforcing
        /// The configuration's policy at this instant (inside a brownout window, before a cutoff…).
        case at(Date)
    }

    public let runtime: GatewayRuntime
    public let moment: Moment
    /// One line for the report: what was tested ("minimum TLS 1.2, enforced", "gateway.yaml at its cutoffs").
    public let summary: String
    /// Now, for `.enforcing` (a cutoff in the past is applied from now).
    public let now: Date

    public init(runtime: GatewayRuntime, moment: Moment, summary: String, now: Date = Date()) {
        self.runtime = runtime
        self.moment = moment
        self.summary = summary
        self.now = now
    }

    /// The engine that decides for `serverName`, and the date it decides at.
    func engine(for serverName: String?) -> (engine: PolicyEngine, date: Date) {
        switch moment {
        case .enforcing:
            return runtime.policy.enforcing(serverName: serverName, now: now)
        case .at(let date):
            var e = runtime.policy
            e.clock = GatewayClock { date }
            return (e, date)
        }
    }
}
