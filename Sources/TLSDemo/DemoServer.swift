import NIOCore
import NIOPosix
import NIOSSL

/// An in-process TLS server on 127.0.0.1 (swift-nio-ssl) that answers any request with a short
/// HTTP response. `tlsguard demo` scans two of them; tests use them as known peers.
public final class DemoServer: Sendable {
    public struct Profile: Sendable {
        public var name: String
        public var description: String
        public var keyType: DemoCertificate.KeyType
        public var minimumVersion: TLSVersion
        public var maximumVersion: TLSVersion
        /// OpenSSL-style cipher string for TLS ≤1.2 (BoringSSL syntax).
        public var cipherString: String

        /// TLS 1.0–1.3 with CBC and RSA key exchange: what a provider's legacy endpoint looks like.
        public static let legacy = Profile(
            name: "legacy", description: "TLS 1.0-1.3, CBC and RSA key-exchange suites, RSA-2048",
            keyType: .rsa2048, minimumVersion: .tlsv1, maximumVersion: .tlsv13,
            cipherString: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA:DES-CBC3-SHA")
        /// TLS 1.2–1.3, ECDHE with AEAD only, ECDSA P-256.
        public static let modern = Profile(
            name: "modern", description: "TLS 1.2-1.3, ECDHE+AEAD only, ECDSA P-256",
            keyType: .ecdsaP256, minimumVersion: .tlsv12, maximumVersion: .tlsv13,
            cipherString: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384")
    }

    public let profile: Profile
    public let port: Int
    private let channel: Channel

    private init(profile: Profile, port: Int, channel: Channel) {
        self.profile = profile
        self.port = port
        self.channel = channel
    }

    /// Starts the server on 127.0.0.1 at a port the system picks.
    public static func start(_ profile: Profile, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> DemoServer {
        let cert = try DemoCertificate(keyType: profile.keyType)
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try cert.nioCertificate())], privateKey: .privateKey(try cert.nioKey()))
        // swift-nio-ssl defaults the floor to TLS 1.0: always set it (swift-notes).
        config.minimumTLSVersion = profile.minimumVersion
        config.maximumTLSVersion = profile.maximumVersion
        config.cipherSuites = profile.cipherString
        let context = try NIOSSLContext(configuration: config)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(TinyHTTPResponder(serverName: profile.name))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return DemoServer(profile: profile, port: channel.localAddress?.port ?? 0, channel: channel)
    }

    public func stop() async {
        try? await channel.close()
    }
}

/// Answers the first bytes of a request with a fixed response and closes.
final class TinyHTTPResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let serverName: String
    private var answered = false

    init(serverName: String) { self.serverName = serverName }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        let body = "tlsguard demo server (\(serverName))\n"
        let response = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Scanners hang up mid-handshake by design: not worth a log line.
        context.close(promise: nil)
    }
}
