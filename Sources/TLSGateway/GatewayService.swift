import Logging
import ServiceLifecycle
import UnixSignals

/// Runs a `Gateway` under swift-service-lifecycle: starts it, reloads its config file on
/// SIGHUP, and on graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) drains it.
public struct GatewayService: Service {
    public let gateway: Gateway

    public init(gateway: Gateway) { self.gateway = gateway }

    public func run() async throws {
        try await gateway.start()
        let gateway = self.gateway
        // SIGHUP until graceful shutdown ends the sequence.
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            try? gateway.reload()
            // A reload is the moment an operator looks at the records: everything so far is in.
            await gateway.flushRecords()
        }
        await gateway.shutdown()
    }
}
