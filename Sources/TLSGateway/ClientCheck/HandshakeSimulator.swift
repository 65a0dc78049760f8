import NIOCore
import NIOEmbedded
import NIOSSL
import TLSWire

/// Answers "what would this server context do with this exact ClientHello?" by feeding the hello
/// to a real `NIOSSLServerHandler` on an in-memory channel and reading its first flight.
///
/// This is how the client check predicts the future: the context the policy will use after the
/// cutoff is the one the gateway really serves, so its answer (ServerHello or alert) is the
/// answer the client will get — versions, suites, groups and signature algorithms included.
/// Nothing is sent to the client; the in-memory handshake is abandoned after the server's first
/// flight (one signature at most).
public enum HandshakeSimulator {
    /// What the server context does with the hello.
    public enum Outcome: Hashable, Sendable {
        /// It answers with a ServerHello (or a HelloRetryRequest, which still leads to a handshake).
        case accepted(version: ProtocolVersion, suite: CipherSuite, helloRetry: Bool)
        /// It refuses: the alert it sends (nil when it closes without one) and the library's reason.
        case refused(alert: AlertDescription?, reason: String)

        public var isAccepted: Bool { if case .accepted = self { return true } else { return false } }
    }

    /// Runs the hello through the context. `recordVersion` frames it as the client did.
    public static func run(_ hello: ClientHello, recordVersion: ProtocolVersion, context: NIOSSLContext) -> Outcome {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        var failure: String?
        do {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        } catch {
            return .refused(alert: nil, reason: "cannot start the simulated handshake: \(error)")
        }
        let bytes = hello.isSSLv2Format ? hello.sslv2Record() : hello.records(recordVersion: recordVersion)
        do {
            try channel.writeInbound(bytes)
        } catch {
            failure = "\(error)"
        }
        var parser = ServerFlightParser(stopAt: .serverHello, maxBytes: 256 * 1024)
        var done = false
        while !done, let out = try? channel.readOutbound(as: ByteBuffer.self) {
            do { done = try parser.feed(out) } catch { break }
        }
        if let serverHello = parser.flight.serverHello {
            let version = (try? serverHello.negotiatedVersion()) ?? serverHello.legacyVersion
            return .accepted(version: version, suite: serverHello.cipherSuite, helloRetry: serverHello.isHelloRetryRequest)
        }
        let alert = parser.flight.alert?.alertDescription
        return .refused(alert: alert, reason: failure ?? alert.map { "the server sent \($0.name)" } ?? "the server closed")
    }
}
