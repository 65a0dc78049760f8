import Prometheus

/// The gateway's Prometheus metrics, in a registry of its own (so several gateways in one test
/// process do not share counters). Served by the admin listener at `/metrics`.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let upstreamLatency: DurationHistogram
    private let openConnections: Gauge
    private let droppedRecords: Gauge
    private let queuedRecords: Gauge

    public init() {
        upstreamLatency = registry.makeDurationHistogram(
            descriptor: .init(namespace: "tlsguard", metricName: "upstream_latency", unitName: "seconds",
                              helpText: "Time from sending a request upstream to its response head"),
            labels: [],
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10)])
        openConnections = registry.makeGauge(
            descriptor: .init(namespace: "tlsguard", metricName: "open_connections", unitName: "",
                              helpText: "Client connections open now"), labels: [])
        droppedRecords = registry.makeGauge(
            descriptor: .init(namespace: "tlsguard", metricName: "records_dropped", unitName: "total",
                              helpText: "Records dropped because the write queue was full"), labels: [])
        queuedRecords = registry.makeGauge(
            descriptor: .init(namespace: "tlsguard", metricName: "records_queued", unitName: "",
                              helpText: "Records waiting to be written"), labels: [])
    }

    /// One finished handshake decision: `version` is the negotiated version, or the client's best
    /// offer when there was no handshake.
    func handshake(version: String, outcome: String, rule: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "tlsguard", metricName: "handshakes", unitName: "total",
                              helpText: "Client handshakes by version, outcome and deciding rule"),
            labels: [("version", version), ("outcome", outcome), ("rule", rule)]
        ).increment()
    }

    /// A client below its host's minimum version (allowed or not).
    func legacyClient(policy: String, mode: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "tlsguard", metricName: "legacy_clients", unitName: "total",
                              helpText: "Connections from clients below the minimum version, by policy and mode"),
            labels: [("policy", policy), ("mode", mode)]
        ).increment()
    }

    func request(status: Int) {
        registry.makeCounter(
            descriptor: .init(namespace: "tlsguard", metricName: "requests", unitName: "total",
                              helpText: "HTTP requests answered, by status"),
            labels: [("status", String(status))]
        ).increment()
    }

    /// One client-check answer: live or lookup, and whether the client will connect after the cutoff.
    func clientCheck(source: String, willConnectAfterCutoff: Bool) {
        registry.makeCounter(
            descriptor: .init(namespace: "tlsguard", metricName: "client_checks", unitName: "total",
                              helpText: "Client-check reports served, by source and the after-cutoff verdict"),
            labels: [("source", source), ("after_cutoff", willConnectAfterCutoff ? "yes" : "no")]
        ).increment()
    }

    func upstreamLatency(nanoseconds: Int64) { upstreamLatency.recordNanoseconds(nanoseconds) }

    func reload(succeeded: Bool) {
        registry.makeCounter(
            descriptor: .init(namespace: "tlsguard", metricName: "config_reloads", unitName: "total",
                              helpText: "Configuration reloads by result"),
            labels: [("result", succeeded ? "ok" : "failed")]
        ).increment()
    }

    func connectionOpened() { openConnections.increment() }
    func connectionClosed() { openConnections.decrement() }

    /// Refreshes the record-queue gauges (before a scrape).
    func updateRecords(dropped: Int, queued: Int) {
        droppedRecords.set(Double(dropped))
        queuedRecords.set(Double(queued))
    }

    /// The Prometheus text exposition.
    public func exposition() -> String { registry.emitToString() }
}
