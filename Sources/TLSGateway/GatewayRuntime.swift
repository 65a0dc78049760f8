import Foundation
import NIOSSL
import TLSWire

/// One loaded configuration: the policy engine and the TLS contexts built from it.
///
/// Immutable. A reload builds a new one and swaps it in; connections that already chose their
/// context keep it, new connections use the new one.
public struct GatewayRuntime: Sendable {
    public let configuration: GatewayConfiguration
    public let policy: PolicyEngine
    public let contexts: TLSContextSet
    /// The client check's simulated handshakes against these contexts.
    public let simulations = HandshakeSimulator.Cache()
    /// Counts reloads: 1 for the configuration the gateway started with.
    public let generation: Int

    /// Builds everything a configuration needs; throws the first problem (bad key, cipher string…).
    public init(configuration: GatewayConfiguration, clock: GatewayClock, generation: Int = 1) throws(GatewayConfigError) {
        self.configuration = configuration
        self.policy = configuration.policyEngine(clock: clock)
        self.contexts = try TLSContextSet(
            configuration: configuration, alpn: configuration.upstream?.mode == .tcp ? [] : ["http/1.1"])
        self.generation = generation
    }
}
