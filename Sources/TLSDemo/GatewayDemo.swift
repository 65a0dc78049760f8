import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TLSGateway
import TLSTelemetry

/// The gateway part of `tlsguard demo`: a local upstream, the gateway in warn mode in front of it,
/// a TLS 1.3 and a TLS 1.0 client (swift-nio-ssl), the same TLS 1.0 client after the cutoff (the
/// gateway's clock moved, nothing waited for), and the records they left.
public enum GatewayDemo {
    /// What one client saw.
    public struct Step: Sendable {
        public var client: String
        /// `200 OK`, or why the connection failed.
        public var outcome: String
        /// Deprecation-style headers the response carried.
        public var notices: [String]
    }

    /// What the client check told one client.
    public struct Check: Sendable {
        public var client: String
        public var report: ClientCheckReport?
        /// Why there is no report.
        public var failure: String?
    }

    public struct Result: Sendable {
        public var gatewayPort: Int
        /// The client-check listener (TLS 1.0–1.3, check only).
        public var checkPort: Int
        public var checks: [Check]
        public var upstreamPort: Int
        public var cutoff: Date
        public var steps: [Step]
        public var records: [ConnectionRecord]
        public var databasePath: String
        /// The demo gateway's configuration: `tlsguard impact` tests its policy on the records.
        public var configuration: GatewayConfiguration
    }

    /// Runs the whole demo on 127.0.0.1 and stops everything it started.
    public static func run() async throws -> Result {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tlsguard-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = try DemoCertificate.writePair(into: directory, hosts: ["localhost"], defaultKey: .rsa2048)
        let upstream = try await DemoUpstream.start()
        let now = Date()
        let cutoff = Calendar(identifier: .gregorian).startOfDay(for: now.addingTimeInterval(30 * 86400))
        let database = directory.appendingPathComponent("records.sqlite").path
        let configuration = GatewayConfiguration(
            listeners: [.init(name: "demo", host: "127.0.0.1", port: 0),
                        .init(name: "check", host: "127.0.0.1", port: 0, clientCheck: true)],
            upstream: .init(host: "127.0.0.1", port: upstream.port),
            certificates: certificates,
            defaultPolicy: HostPolicy(name: "default", minimumVersion: .tls12, mode: .warn, cutoff: cutoff,
                                      deprecationLink: "https://example.com/tls"),
            records: .init(databasePath: database), clientCheck: .init(path: "/tls-check"))
        let clock = NIOLockedValueBox(now)
        var logger = Logger(label: "tlsguard.demo")
        logger.logLevel = .critical
        let gateway = try Gateway(configuration: configuration, clock: GatewayClock { clock.withLockedValue { $0 } }, logger: logger)
        try await gateway.start()
        let port = gateway.listenerPorts["demo"] ?? 0
        let checkPort = gateway.listenerPorts["check"] ?? 0

        // The client check first, while the clock is today: what each client is told.
        var checks: [Check] = []
        for (version, label) in [(TLSVersion.tlsv1, "TLS 1.0 client"), (.tlsv13, "TLS 1.3 client")] {
            let (body, error) = await DemoClient.fetch(port: checkPort, version: version, path: "/api/v1/check")
            if let body, let report = try? JSONDecoder().decode(ClientCheckReport.self, from: Data(body.utf8)) {
                checks.append(Check(client: label, report: report))
            } else {
                checks.append(Check(client: label, failure: error.map { "\($0)" } ?? "no JSON in the answer"))
            }
        }

        var steps: [Step] = []
        steps.append(await DemoClient.get(port: port, version: .tlsv13, label: "TLS 1.3 client, today"))
        steps.append(await DemoClient.get(port: port, version: .tlsv1, label: "TLS 1.0 client, today"))
        clock.withLockedValue { $0 = cutoff.addingTimeInterval(86400) }
        steps.append(await DemoClient.get(port: port, version: .tlsv1, label: "TLS 1.0 client, after the cutoff"))

        await gateway.shutdown(drainTimeout: .seconds(2))
        await upstream.stop()
        let records = (try? (gateway.telemetry?.store as? TelemetryStore)?.connections()) ?? []
        return Result(gatewayPort: port, checkPort: checkPort, checks: checks, upstreamPort: upstream.port, cutoff: cutoff, steps: steps, records: records,
                      databasePath: database, configuration: configuration)
    }
}

/// A plain HTTP/1.1 upstream that answers every request with a short text.
final class DemoUpstream: Sendable {
    let port: Int
    private let channel: Channel

    private init(port: Int, channel: Channel) {
        self.port = port
        self.channel = channel
    }

    static func start() async throws -> DemoUpstream {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return DemoUpstream(port: channel.localAddress?.port ?? 0, channel: channel)
    }

    func stop() async { try? await channel.close() }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let body = "hello from the upstream\n"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

/// One HTTPS GET through swift-nio-ssl at exactly one TLS version.
enum DemoClient {
    /// One GET over TLS of exactly `version`: the whole response text ("" when none came), and
    /// the handshake or connection error, if any.
    static func exchange(port: Int, version: TLSVersion, path: String) async -> (text: String, error: Error?) {
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = version
            tls.maximumTLSVersion = version
            tls.certificateVerification = .none
            let context = try NIOSSLContext(configuration: tls)
            let collector = ResponseCollector()
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            // A refused handshake fails the write too; the handshake error itself is in the collector.
            try? await channel.writeAndFlush(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")).get()
            try? await channel.closeFuture.get()
            return (collector.text, collector.error)
        } catch {
            return ("", error)
        }
    }

    /// The response body of a GET, or the error.
    static func fetch(port: Int, version: TLSVersion, path: String) async -> (body: String?, error: Error?) {
        let (text, error) = await exchange(port: port, version: version, path: path)
        guard let split = text.range(of: "\r\n\r\n") else { return (nil, error) }
        return (String(text[split.upperBound...]), nil)
    }

    static func get(port: Int, version: TLSVersion, label: String) async -> GatewayDemo.Step {
        let (text, error) = await exchange(port: port, version: version, path: "/")
        if let error, text.isEmpty { return failure(label, error) }
        let lines = text.components(separatedBy: "\r\n")
        let status = lines.first.map { String($0.dropFirst("HTTP/1.1 ".count)) } ?? "no response"
        let notices = lines.filter { $0.hasPrefix("Deprecation:") || $0.hasPrefix("Sunset:") }
        return GatewayDemo.Step(client: label, outcome: status, notices: notices)
    }

    static func failure(_ label: String, _ error: Error) -> GatewayDemo.Step {
        let text = "\(error)"
        let outcome = text.contains("PROTOCOL_VERSION") ? "refused: TLS alert protocol_version (70)" : "failed: \(text.prefix(60))"
        return GatewayDemo.Step(client: label, outcome: outcome, notices: [])
    }

    /// `@unchecked Sendable`: touched only on its channel's event loop until the channel closes,
    /// then read once by the awaiting task.
    private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var text = ""
        var error: Error?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            text += String(buffer: unwrapInboundIn(data))
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            if self.error == nil { self.error = error }
            context.close(promise: nil)
        }
    }
}
