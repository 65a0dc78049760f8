import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TLSTelemetry

/// The TLS deprecation gateway: listeners, the per-connection pipeline, records, metrics,
/// reload and drain.
///
/// ```swift
/// let gateway = try Gateway(configuration: try .load(path: "gateway.yaml"))
/// try await gateway.start()
/// // … SIGHUP: try gateway.reload()
/// await gateway.shutdown()
/// ```
public final class Gateway: Sendable {
    private struct Servers {
        var listeners: [(name: String, channel: Channel)] = []
        var admin: Channel?
        var lookup: Channel?
    }

    private let core: GatewayCore
    private let group: EventLoopGroup
    private let servers = NIOLockedValueBox(Servers())
    private let generation = NIOLockedValueBox(1)
    private let clock: GatewayClock

    /// Builds the runtime (certificates, contexts, policy) and opens the record database.
    public init(
        configuration: GatewayConfiguration, clock: GatewayClock = .system,
        logger: Logger = Logger(label: "tlsguard.gateway"),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        let runtime = try GatewayRuntime(configuration: configuration, clock: clock)
        var telemetry: TelemetryWriter?
        let records = configuration.records
        var store: (any RecordStore)?
        if let path = records.databasePath {
            store = try TelemetryStore(path: path, retention: records.retention)
        } else if let url = records.postgresURL {
            // Nothing connects here: the store migrates on first use, and while the database is
            // down the gateway runs and its records wait in the writer's buffer.
            store = try PostgresRecordStore(url: url, retention: records.retention, logger: logger)
        }
        if let store {
            telemetry = TelemetryWriter(store: store, capacity: records.queueCapacity, logger: logger)
        }
        self.core = GatewayCore(runtime: runtime, telemetry: telemetry, metrics: GatewayMetrics(), logger: logger, clock: clock)
        self.group = group
        self.clock = clock
    }

    /// The record writer (nil when no database is configured); `telemetry?.store` is the
    /// `TelemetryStore` or `PostgresRecordStore` it writes to.
    public var telemetry: TelemetryWriter? { core.telemetry }
    public var metrics: GatewayMetrics { core.metrics }
    /// The configuration in force now.
    public var configuration: GatewayConfiguration { core.runtime.configuration }

    /// The bound port of each listener, by name (port 0 in the config binds a free port).
    public var listenerPorts: [String: Int] {
        servers.withLockedValue { s in
            Dictionary(uniqueKeysWithValues: s.listeners.map { ($0.name, $0.channel.localAddress?.port ?? 0) })
        }
    }

    /// The admin listener's bound port.
    public var adminPort: Int? { servers.withLockedValue { $0.admin?.localAddress?.port } }

    /// The client check's plain-HTTP lookup port, when configured.
    public var lookupPort: Int? { servers.withLockedValue { $0.lookup?.localAddress?.port } }

    /// Binds every listener, the admin listener and the client check's lookup listener.
    public func start() async throws {
        let configuration = core.runtime.configuration
        for listener in configuration.listeners {
            let channel: Channel
            do {
                channel = try await bindListener(listener)
            } catch {
                throw GatewayError.cannotListen(listener.name, host: listener.host, port: listener.port, error)
            }
            servers.withLockedValue { $0.listeners.append((listener.name, channel)) }
            core.logger.info("listening", metadata: ["listener": "\(listener.name)", "address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        }
        if let admin = configuration.admin {
            let core = self.core
            let channel = try await bindPlainHTTP(admin, name: "admin") { head, _ in AdminResponses.response(to: head, core: core) }
            servers.withLockedValue { $0.admin = channel }
        }
        if let lookup = configuration.clientCheck?.lookup {
            let core = self.core
            let channel = try await bindPlainHTTP(lookup, name: "clientCheck.lookup") { head, remote in
                ClientCheckLookup.response(to: head, from: remote, core: core)
            }
            servers.withLockedValue { $0.lookup = channel }
        }
    }

    /// Binds a plain-HTTP listener (admin, client-check lookup): HTTP/1.1 codec, an idle timeout,
    /// and a `PlainHTTPHandler` answering with `respond` on each connection.
    private func bindPlainHTTP(_ listener: GatewayConfiguration.Listener, name: String,
                               _ respond: @escaping PlainHTTPHandler.Respond) async throws -> Channel {
        let channel: Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(30)))
                        try channel.pipeline.syncOperations.addHandler(PlainHTTPHandler(respond))
                    }
                }
                .bind(host: listener.host, port: listener.port).get()
        } catch {
            throw GatewayError.cannotListen(name, host: listener.host, port: listener.port, error)
        }
        core.logger.info("\(name) listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        return channel
    }

    private func bindListener(_ listener: GatewayConfiguration.Listener) async throws -> Channel {
        let core = self.core
        let name = listener.name
        let isCheck = listener.clientCheck
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    core.register(channel)
                    let runtime = core.runtime
                    let state = ConnectionState(start: core.clock.now(), listener: name, remote: channel.remoteAddress,
                                                isClientCheckListener: isCheck)
                    try channel.pipeline.syncOperations.addHandler(
                        ClientHelloSniffer(core: core, state: state, settings: runtime.configuration.tls))
                }
            }
            .bind(host: listener.host, port: listener.port).get()
    }

    /// Swaps in a new configuration: certificates, policies, exceptions and the upstream apply to
    /// new connections; open connections keep what they negotiated. Listener addresses, the admin
    /// address and the record database are fixed at start.
    public func reload(_ configuration: GatewayConfiguration) throws(GatewayConfigError) {
        let current = core.runtime.configuration
        if current.listeners != configuration.listeners || current.admin != configuration.admin
            || current.records.databasePath != configuration.records.databasePath
            || current.records.postgresURL != configuration.records.postgresURL
            || current.records.retention != configuration.records.retention {
            core.logger.warning("listener, admin and database addresses take effect only after a restart")
        }
        do {
            let next = generation.withLockedValue { $0 + 1 }
            let runtime = try GatewayRuntime(configuration: configuration, clock: clock, generation: next)
            generation.withLockedValue { $0 = next }
            core.swap(runtime)
            core.metrics.reload(succeeded: true)
            core.logger.info("configuration reloaded", metadata: ["generation": "\(next)"])
        } catch {
            core.metrics.reload(succeeded: false)
            core.logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Waits until every record queued so far is in the database (on SIGHUP, and for tests).
    public func flushRecords() async { await core.telemetry?.flush() }

    /// Reloads the file the configuration came from.
    public func reload() throws(GatewayConfigError) {
        guard let path = core.runtime.configuration.sourcePath else {
            throw GatewayConfigError(file: "<inline>", problem: "this configuration was not loaded from a file")
        }
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.load(path: path)
        } catch {
            core.metrics.reload(succeeded: false)
            core.logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
            throw error
        }
        try reload(configuration)
    }

    /// Stops accepting, lets open connections finish (idle keep-alive ones close at once, busy
    /// ones after their response) for at most the drain timeout, closes the rest, and writes
    /// every queued record.
    public func shutdown(drainTimeout: TimeAmount? = nil) async {
        core.startDraining()
        let (listeners, admin, lookup) = servers.withLockedValue { s -> ([Channel], Channel?, Channel?) in
            defer { s.listeners.removeAll(); s.admin = nil; s.lookup = nil }
            return (s.listeners.map(\.channel), s.admin, s.lookup)
        }
        try? await lookup?.close()
        for channel in listeners { try? await channel.close() }
        let open = core.openConnections
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(GatewayDrainEvent())
        }
        // Done when the last of them closes or the drain timeout fires, whichever is first (a
        // promise completed twice keeps its first result), so an idle gateway stops at once.
        let limit = drainTimeout ?? core.runtime.configuration.drainTimeout
        let loop = group.next()
        let drained = loop.makePromise(of: Void.self)
        EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: loop).cascade(to: drained)
        let timeout = loop.scheduleTask(in: limit) { drained.succeed() }
        try? await drained.futureResult.get()
        timeout.cancel()
        for channel in core.openConnections { try? await channel.close() }
        core.pools.closeAll()
        try? await admin?.close()
        if let telemetry = core.telemetry {
            await telemetry.close()
            await telemetry.store.close()
        }
        core.logger.info("gateway stopped")
    }
}
