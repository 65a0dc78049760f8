import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import TLSReport
import TLSWire

/// A complete handshake through swift-nio-ssl, for what the wire does not show in clear: the
/// TLS 1.3 certificate chain, ALPN under TLS 1.3, and the HTTP response headers.
struct FullHandshake: Sendable {
    struct Result: Sendable {
        var chain: [[UInt8]] = []
        var version: ProtocolVersion?
        var alpn: String?
        /// The raw response head (status line and headers), when an HTTP request was sent.
        var httpHead: String?
        var error: String?
    }

    enum ServerKey: Sendable { case any, rsa, ecdsa }

    var address: SocketAddress
    var serverName: String?
    var timeout: TimeAmount
    var group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// Handshakes (TLS 1.2 or 1.3), keeps the chain the server sent, and when `httpRequest` is given,
    /// sends it and reads the response head (≤ 64 KiB).
    func run(minimum: TLSVersion = .tlsv12, key: ServerKey = .any, alpn: [String] = [], httpRequest: String? = nil) async -> Result {
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = minimum
        config.maximumTLSVersion = .tlsv13
        // The chain is judged by swift-certificates later; here every chain is taken as it is.
        config.certificateVerification = .noHostnameVerification
        // The verification callback accepts every chain, so no root is ever consulted: an empty
        // store spares BoringSSL parsing the system bundle for every context.
        config.trustRoots = .certificates([])
        config.applicationProtocols = alpn
        switch key {
        case .any: break
        case .rsa: config.verifySignatureAlgorithms = [.rsaPssRsaeSha256, .rsaPssRsaeSha384, .rsaPssRsaeSha512, .rsaPkcs1Sha256, .rsaPkcs1Sha384, .rsaPkcs1Sha512, .rsaPkcs1Sha1]
        case .ecdsa: config.verifySignatureAlgorithms = [.ecdsaSecp256R1Sha256, .ecdsaSecp384R1Sha384, .ecdsaSecp521R1Sha512, .ed25519]
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: config) } catch { return Result(error: "TLS client setup: \(error)") }
        let serverName = self.serverName
        let timeout = self.timeout
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
            let once = ResumeOnce(continuation)
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let collector = FullHandshakeHandler(request: httpRequest, timeout: timeout, once: once)
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName) { certs, promise in
                            collector.chain = certs.compactMap { try? $0.toDERBytes() }
                            promise.succeed(.certificateVerified)
                        }
                        try channel.pipeline.syncOperations.addHandler(tls)
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
            bootstrap.connect(to: address).whenFailure { error in
                once.resume(Result(error: describeConnectError(error)))
            }
        }
    }
}

/// Waits for the handshake, optionally sends an HTTP request and reads the response head.
final class FullHandshakeHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: `chain` is written by NIOSSL's verification callback on this channel's event
    // loop, like every other member; the handler never leaves that loop.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var chain: [[UInt8]] = []
    private let request: String?
    private let timeout: TimeAmount
    private let once: ResumeOnce<FullHandshake.Result>
    private var result = FullHandshake.Result()
    private var response = ByteBuffer()
    private var deadline: Scheduled<Void>?
    private var done = false

    init(request: String?, timeout: TimeAmount, once: ResumeOnce<FullHandshake.Result>) {
        self.request = request
        self.timeout = timeout
        self.once = once
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (h, ctx) = bound.value
            h.finish(ctx, error: h.result.version == nil ? "handshake timed out" : (h.request != nil ? "HTTP response timed out" : nil))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted(let proto) = event {
            result.alpn = proto
            if let v = try? context.pipeline.syncOperations.nioSSL_tlsVersion() {
                switch v {
                case .tlsv1: result.version = .tls10
                case .tlsv11: result.version = .tls11
                case .tlsv12: result.version = .tls12
                case .tlsv13: result.version = .tls13
                }
            }
            if let request {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
            } else {
                finish(context, error: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        response.writeBuffer(&b)
        let view = response.readableBytesView
        if let end = view.firstRange(of: Array("\r\n\r\n".utf8)) {
            result.httpHead = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
            finish(context, error: nil)
        } else if response.readableBytes > 64 * 1024 {
            finish(context, error: "HTTP response head longer than 64 KiB")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if result.version != nil, request != nil, result.httpHead == nil, response.readableBytes > 0 {
            result.httpHead = String(decoding: response.readableBytesView, as: UTF8.self)
        }
        finish(context, error: result.version == nil ? "connection closed during the handshake" : nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(context, error: result.version == nil ? "handshake failed: \(describeTLSError(error))" : "\(describeTLSError(error))")
    }

    private func finish(_ context: ChannelHandlerContext, error: String?) {
        guard !done else { return }
        done = true
        deadline?.cancel()
        result.chain = chain
        if result.error == nil { result.error = error }
        once.resume(result)
        context.close(promise: nil)
    }
}

func describeTLSError(_ error: Error) -> String {
    let text: String
    if let e = error as? NIOSSLError, case .handshakeFailed(let inner) = e {
        text = "\(inner)"
    } else if error is NIOSSLError || error is BoringSSLError {
        text = "\(error)"
    } else {
        return describeConnectError(error)
    }
    // BoringSSL's error queue reads "[Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:
    // WRONG_VERSION_NUMBER at /…/.build/checkouts/swift-nio-ssl/…/handshake.cc:393]": the reason
    // codes are what a user can act on; the build path of our library is not theirs.
    var reasons: [String] = []
    for match in text.matches(of: /error:[0-9A-Fa-f]+:[^:\]]*:[^:\]]*:([A-Z0-9_]+)/) {
        let reason = match.output.1.lowercased().replacingOccurrences(of: "_", with: " ")
        if !reasons.contains(reason) { reasons.append(reason) }
    }
    if !reasons.isEmpty { return reasons.joined(separator: ", ") }
    return safeLine(text)
}

/// One line of a message that may carry a library's build paths or a peer's bytes: source
/// locations removed, control characters (CR, LF, escapes) turned into spaces.
func safeLine(_ text: String) -> String {
    var t = text.replacing(/\ at \/[^ \]]+:[0-9]+/, with: "")
    t = String(t.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    return t.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
}
