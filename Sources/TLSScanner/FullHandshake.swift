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
        let chain = NIOLockedValueBox<[[UInt8]]>([])
        // One deadline for the connect, the handshake and the response, as `timeout` says.
        let conversation = FullHandshakeConversation(request: httpRequest, deadline: .now() + timeout, chain: chain)
        return await ConnectionDriver(group: group, connectTimeout: timeout, readTimeout: timeout)
            .run(address, conversation) { channel in
                let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName) { certs, promise in
                    chain.withLockedValue { $0 = certs.compactMap { try? $0.toDERBytes() } }
                    promise.succeed(.certificateVerified)
                }
                try channel.pipeline.syncOperations.addHandler(tls)
                try channel.pipeline.syncOperations.addHandler(TLSHandshakeCompletedHandler())
            }
    }
}

/// The handshake is complete: the protocol ALPN chose and the version, read off the pipeline.
struct TLSHandshakeCompleted: Sendable {
    var alpn: String?
    var version: ProtocolVersion?
}

/// Turns swift-nio-ssl's `handshakeCompleted` into a `TLSHandshakeCompleted` with the negotiated
/// version, so that the conversation after it needs no access to the pipeline.
final class TLSHandshakeCompletedHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted(let proto) = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        var version: ProtocolVersion?
        if let v = try? context.pipeline.syncOperations.nioSSL_tlsVersion() {
            switch v {
            case .tlsv1: version = .tls10
            case .tlsv11: version = .tls11
            case .tlsv12: version = .tls12
            case .tlsv13: version = .tls13
            }
        }
        context.fireUserInboundEventTriggered(TLSHandshakeCompleted(alpn: proto, version: version))
    }
}

/// Waits for the handshake, optionally sends an HTTP request and reads the response head (≤ 64 KiB).
struct FullHandshakeConversation: ConnectionConversation {
    typealias Result = FullHandshake.Result

    let request: String?
    let deadline: NIODeadline
    /// Written by swift-nio-ssl's verification callback, on this connection's event loop.
    let chain: NIOLockedValueBox<[[UInt8]]>
    private var result = FullHandshake.Result()
    private var response = ByteBuffer()

    init(request: String?, deadline: NIODeadline, chain: NIOLockedValueBox<[[UInt8]]>) {
        self.request = request
        self.deadline = deadline
        self.chain = chain
    }

    private var remaining: TimeAmount { max(.nanoseconds(0), deadline - .now()) }

    mutating func start() -> ConnectionAction<Result> { .wait(remaining) }

    mutating func userEvent(_ event: Any) -> ConnectionAction<Result> {
        guard let completed = event as? TLSHandshakeCompleted else { return .none }
        result.alpn = completed.alpn
        result.version = completed.version
        guard let request else { return .finish(send: nil, finished(error: nil)) }
        return .sendThenWait(ByteBuffer(string: request), remaining)
    }

    mutating func received(_ bytes: ByteBuffer) -> ConnectionAction<Result> {
        var b = bytes
        response.writeBuffer(&b)
        let view = response.readableBytesView
        if let end = view.firstRange(of: Array("\r\n\r\n".utf8)) {
            result.httpHead = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
            return .finish(send: nil, finished(error: nil))
        } else if response.readableBytes > 64 * 1024 {
            return .finish(send: nil, finished(error: "HTTP response head longer than 64 KiB"))
        }
        return .none
    }

    mutating func timedOut() -> (send: ByteBuffer?, result: Result) {
        (nil, finished(error: result.version == nil ? "handshake timed out" : (request != nil ? "HTTP response timed out" : nil)))
    }

    mutating func peerClosed() -> Result {
        if result.version != nil, request != nil, result.httpHead == nil, response.readableBytes > 0 {
            result.httpHead = String(decoding: response.readableBytesView, as: UTF8.self)
        }
        return finished(error: result.version == nil ? "connection closed during the handshake" : nil)
    }

    mutating func failed(_ error: Error) -> Result {
        finished(error: result.version == nil ? "handshake failed: \(describeTLSError(error))" : "\(describeTLSError(error))")
    }

    func connectFailed(_ error: Error) -> Result { Result(error: describeConnectError(error)) }

    func cancelled() -> Result { Result(chain: chain.withLockedValue { $0 }, error: "cancelled") }

    private func finished(error: String?) -> Result {
        var r = result
        r.chain = chain.withLockedValue { $0 }
        if r.error == nil { r.error = error }
        return r
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
