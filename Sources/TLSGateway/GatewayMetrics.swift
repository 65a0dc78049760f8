import NIOConcurrencyHelpers
import Prometheus
import TLSTelemetry

/// The gateway's Prometheus metrics, in a registry of its own (so several gateways in one test
/// process do not share counters). Served by the admin listener at `/metrics`.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let upstreamLatency: DurationHistogram
    private let openConnections: Gauge
    private let queuedRecords: Gauge
    private let writtenRecords: Counter
    private let droppedRecords: Counter
    private let failedRecords: Counter
    private let recordsHealthy: Gauge
    /// The writer's counts at the last scrape: its counters only grow, so each scrape adds the difference.
    private let lastRecordCounts = NIOLockedValueBox(TelemetryWriter.Counts())

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
        queuedRecords = registry.makeGauge(
            descriptor: .init(namespace: "tlsguard", metricName: "records_queued", unitName: "",
                              helpText: "Records waiting to be written"), labels: [])
        writtenRecords = registry.makeCounter(
            descriptor: .init(namespace: "tlsguard", metricName: "records_written", unitName: "total",
                              helpText: "Records written to the record database"), labels: [])
        droppedRecords = registry.makeCounter(
            descriptor: .init(namespace: "tlsguard", metricName: "records_dropped", unitName: "total",
                              helpText: "Records dropped because the write queue was full"), labels: [])
        failedRecords = registry.makeCounter(
            descriptor: .init(namespace: "tlsguard", metricName: "records_failed", unitName: "total",
                              helpText: "Records whose batch could not be written after retries"), labels: [])
        recordsHealthy = registry.makeGauge(
            descriptor: .init(namespace: "tlsguard", metricName: "records_writer_healthy", unitName: "",
                              helpText: "1 while the record writer keeps up, 0 when it is stalled or failing"), labels: [])
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

    /// Refreshes the record metrics from the writer (before a scrape).
    func updateRecords(_ counts: TelemetryWriter.Counts, healthy: Bool) {
        let last = lastRecordCounts.withLockedValue { last -> TelemetryWriter.Counts in
            defer { last = counts }
            return last
        }
        queuedRecords.set(Int64(counts.queued))
        writtenRecords.increment(by: Int64(max(0, counts.written - last.written)))
        droppedRecords.increment(by: Int64(max(0, counts.dropped - last.dropped)))
        failedRecords.increment(by: Int64(max(0, counts.failed - last.failed)))
        recordsHealthy.set(Int64(healthy ? 1 : 0))
    }

    /// The Prometheus text exposition.
    public func exposition() -> String { registry.emitToString() }
}
