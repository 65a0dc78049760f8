import NIOConcurrencyHelpers
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

    /// Outcomes already computed, per context and per hello with its per-connection values blanked
    /// (random, session ID, key-share and PSK bytes): the server's choice of version and suite does
    /// not depend on them, so a client type costs its simulations once. Bounded; it belongs to one
    /// `GatewayRuntime`, so a reload (new contexts) starts a new one.
    public final class Cache: Sendable {
        private let entries = NIOLockedValueBox([Key: Outcome]())
        let capacity: Int

        struct Key: Hashable, Sendable {
            var context: ObjectIdentifier
            var hello: [UInt8]
        }

        public init(capacity: Int = 20_000) { self.capacity = capacity }

        var count: Int { entries.withLockedValue { $0.count } }

        func outcome(_ key: Key, compute: () -> Outcome) -> Outcome {
            if let known = entries.withLockedValue({ $0[key] }) { return known }
            let outcome = compute()
            entries.withLockedValue { e in
                if e.count >= capacity { e.removeAll(keepingCapacity: true) }
                e[key] = outcome
            }
            return outcome
        }

        /// The hello's bytes with what differs per connection blanked (`ClientHello.distinctBytes`).
        static func key(_ hello: ClientHello, recordVersion: ProtocolVersion, context: NIOSSLContext) -> Key {
            Key(context: ObjectIdentifier(context), hello: hello.distinctBytes(recordVersion: recordVersion))
        }
    }

    /// `run`, through `cache` when one is given.
    public static func run(_ hello: ClientHello, recordVersion: ProtocolVersion, context: NIOSSLContext, cache: Cache?) -> Outcome {
        guard let cache else { return run(hello, recordVersion: recordVersion, context: context) }
        return cache.outcome(Cache.key(hello, recordVersion: recordVersion, context: context)) {
            run(hello, recordVersion: recordVersion, context: context)
        }
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

    /// The client's suites the context accepts, in the order it picks them: the hello is run again
    /// without each chosen suite until the server refuses. A TLS 1.3 hello is then run as TLS 1.2
    /// (without supported_versions and key_share) for its TLS 1.2 suites.
    public static func acceptedSuites(_ hello: ClientHello, recordVersion: ProtocolVersion, context: NIOSSLContext,
                               cache: HandshakeSimulator.Cache? = nil, limit: Int = 48) -> [CipherSuite] {
        var accepted: [CipherSuite] = []
        var runs = 0
        func eliminate(_ start: ClientHello) {
            var h = start
            while runs < limit, h.cipherSuites.contains(where: { !$0.isGREASE && !$0.isSCSV }) {
                runs += 1
                guard case .accepted(_, let suite, _) = HandshakeSimulator.run(h, recordVersion: recordVersion, context: context, cache: cache),
                      h.cipherSuites.contains(suite) else { return }
                if !accepted.contains(suite) { accepted.append(suite) }
                h.cipherSuites.removeAll { $0 == suite }
            }
        }
        eliminate(hello)
        let offered = ((try? hello.offeredVersions()) ?? []).filter { !$0.isGREASE }
        if offered.contains(.tls13) {
            var tls12 = hello
            let tls13Only: Set<ExtensionType> = [.supportedVersions, .keyShare, .preSharedKey, .earlyData, .pskKeyExchangeModes]
            tls12.extensions.removeAll { tls13Only.contains($0.type) }
            tls12.legacyVersion = min(hello.legacyVersion, .tls12)
            tls12.cipherSuites.removeAll { $0.info.map { $0.minVersion >= .tls13 } ?? false }
            tls12.cipherSuites.removeAll { accepted.contains($0) }
            eliminate(tls12)
        }
        return accepted
    }
}
