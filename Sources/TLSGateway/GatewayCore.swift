import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import TLSTelemetry

/// What every connection's handlers share: the current runtime (swapped on reload), the record
/// writer, metrics, the logger, and the list of open connections (for draining).
final class GatewayCore: Sendable {
    private let runtimeBox: NIOLockedValueBox<GatewayRuntime>
    let telemetry: TelemetryWriter?
    let metrics: GatewayMetrics
    let logger: Logger
    let clock: GatewayClock
    let pools: UpstreamPools
    /// Last ClientHello per client address, for the client check's lookup (nil: check off).
    let history: ClientHelloHistory?
    private let connections = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
    private let drainingBox = NIOLockedValueBox(false)
    /// Hashes of the hellos already handed to the writer (bounded: cleared when full, which only
    /// costs a few ignored inserts).
    private let knownHellos = NIOLockedValueBox(Set<String>())
    /// `records.gateway`: names this gateway in every record.
    let gatewayName: String

    init(runtime: GatewayRuntime, telemetry: TelemetryWriter?, metrics: GatewayMetrics, logger: Logger, clock: GatewayClock) {
        self.runtimeBox = NIOLockedValueBox(runtime)
        self.telemetry = telemetry
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.pools = UpstreamPools()
        self.gatewayName = runtime.configuration.records.gatewayName ?? ProcessInfo.processInfo.hostName
        self.history = runtime.configuration.clientCheck.map {
            ClientHelloHistory(capacity: $0.historySize, ttl: Double($0.historyTTL.nanoseconds) / 1e9)
        }
    }

    var runtime: GatewayRuntime { runtimeBox.withLockedValue { $0 } }

    func swap(_ runtime: GatewayRuntime) { runtimeBox.withLockedValue { $0 = runtime } }

    var isDraining: Bool { drainingBox.withLockedValue { $0 } }

    func startDraining() { drainingBox.withLockedValue { $0 = true } }

    // MARK: Connections

    func register(_ channel: Channel) {
        connections.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
        metrics.connectionOpened()
        channel.closeFuture.whenComplete { [self] _ in
            connections.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
            metrics.connectionClosed()
        }
    }

    var openConnections: [Channel] { connections.withLockedValue { Array($0.values) } }

    // MARK: Records

    /// Records a connection's outcome, once.
    func finish(_ state: ConnectionState, outcome: ConnectionOutcome, rule: String, mode: String?, version: String,
                negotiatedVersion: String? = nil, alpn: String? = nil, detail: String?) {
        guard !state.recorded else { return }
        state.recorded = true
        metrics.handshake(version: version, outcome: outcome.rawValue, rule: rule)
        var record = state.record(outcome: outcome.rawValue, rule: rule, mode: mode, negotiatedVersion: negotiatedVersion, alpn: alpn, detail: detail)
        record.gateway = gatewayName
        if alpn != nil { state.negotiatedALPN = alpn }
        if let history, let observation = state.observation(outcome: outcome.rawValue, detail: detail) {
            history.remember(observation)
        }
        // Legacy clients and refusals are what an operator watches during a sunset: one level up.
        let level: Logger.Level = (mode == nil || mode == "modern") && outcome.isAccepted ? .info : .notice
        logger.log(level: level, "connection", metadata: [
            "connection": "\(record.id)", "client": "\(record.clientAddress):\(record.clientPort)",
            "sni": "\(record.serverName ?? "-")", "max_offered": "\(record.maxOfferedVersion ?? "-")",
            "negotiated": "\(record.negotiatedVersion ?? "-")", "suite": "\(record.cipherSuite ?? "-")",
            "ja4": "\(record.ja4 ?? "-")", "outcome": "\(outcome.rawValue)", "rule": "\(rule)", "mode": "\(mode ?? "-")",
        ])
        if let telemetry, let hash = record.helloHash, let flight = state.flight, firstSighting(of: hash) {
            let hello = ClientHelloRecord(
                hash: hash, firstSeen: state.start, recordVersion: flight.recordVersion.name,
                bytes: flight.hello.wireBytes(recordVersion: flight.recordVersion), ja3: record.ja3, ja4: record.ja4)
            if !telemetry.record(.hello(hello)) { knownHellos.withLockedValue { _ = $0.remove(hash) } }
        }
        telemetry?.record(.connection(record))
    }

    /// Whether `hash` is new to this gateway (and remembers it).
    private func firstSighting(of hash: String) -> Bool {
        knownHellos.withLockedValue { known in
            if known.count >= 100_000 { known.removeAll(keepingCapacity: true) }
            return known.insert(hash).inserted
        }
    }

    func record(_ request: RequestRecord) {
        metrics.request(status: request.status)
        telemetry?.record(.request(request))
    }

    // MARK: Pipeline

    /// Adds the handlers that run after TLS: the HTTP proxy (which also serves the client check)
    /// or the TCP relay.
    func addApplicationHandlers(to channel: Channel, state: ConnectionState, runtime: GatewayRuntime) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(IdleStateHandler(allTimeout: runtime.configuration.idleTimeout))
        if !state.isClientCheckListener, let upstream = runtime.configuration.upstream, upstream.mode == .tcp {
            try sync.addHandler(TCPRelayHandler(core: self, upstream: upstream))
        } else {
            try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
            try sync.addHandler(HTTPProxyHandler(core: self, state: state, runtime: runtime))
        }
    }

    // MARK: Client check

    /// The client-check report for an observation under the current runtime.
    func clientCheckReport(_ observation: ClientCheckObservation, live: Bool) -> ClientCheckReport {
        let report = ClientCheckJudge(runtime: runtime, now: clock.now()).report(for: observation, live: live)
        metrics.clientCheck(source: report.source, willConnectAfterCutoff: report.policy.afterCutoff.willConnect)
        return report
    }
}
