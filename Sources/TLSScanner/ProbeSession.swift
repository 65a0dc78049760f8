import Crypto
import NIOConcurrencyHelpers
import NIOCore
import TLSReport
import TLSWire

/// The probe runner of one target: hellos built for it, every connection under the global and
/// per-host caps, counted under the current check, retried when it got nothing. The checks
/// (`ScanCheck`) ask it for probes and handshakes.
final class ProbeSession: Sendable {
    let scanner: Scanner
    let target: ScanTarget
    let address: SocketAddress
    let perHost: AsyncSemaphore
    let anomalies = AnomalyLog()
    /// Connections made so far (probes and handshakes), by check.
    let counter = ConnectionCounter()
    /// The DH prime of each DH suite a probe was answered with, by version (read from the
    /// enumeration's own ServerKeyExchanges: no connection of its own).
    let dhPrimes = NIOLockedValueBox([ProtocolVersion: [CipherSuite: [UInt8]]]())
    /// The server once sent a DH suite's ServerHello and then nothing: later probes stop at the
    /// ServerHello instead of waiting for a ServerKeyExchange again (a hostile or broken server
    /// costs one read timeout, not one per probe).
    let dhStalled = NIOLockedValueBox(false)
    /// The downgrade sentinel (RFC 8446 §4.1.3) of the first ServerHello the enumeration got per
    /// version below TLS 1.3 (its hellos do not offer TLS 1.3): the sentinel check reads it here.
    let sentinels = NIOLockedValueBox([ProtocolVersion: ServerHello.DowngradeSentinel?]())

    init(scanner: Scanner, target: ScanTarget, address: SocketAddress) {
        self.scanner = scanner
        self.target = target
        self.address = address
        self.perHost = AsyncSemaphore(permits: max(1, scanner.options.perHostConcurrency))
    }

    var probeCount: Int { counter.total }
    var options: ScanOptions { scanner.options }

    // MARK: Sending

    /// One probe under both caps, retried when the connection could not be made or stayed silent.
    func probe(_ hello: ClientHello, stopAt: ServerFlightParser.StopPoint) async -> ProbeOutcome {
        await converse(hello, stopAt: stopAt, followUp: nil).outcome
    }

    /// A probe with an optional follow-up record after the server's flight.
    func converse(_ hello: ClientHello, stopAt requested: ServerFlightParser.StopPoint, followUp: FollowUp?) async -> Conversation {
        let stopAt: ServerFlightParser.StopPoint =
            requested == .serverHelloOrDHParameters && dhStalled.withLockedValue({ $0 }) ? .serverHello : requested
        let bytes = hello.isSSLv2Format ? hello.sslv2Record() : hello.records(recordVersion: hello.legacyVersion <= .sslv3 ? .sslv3 : .tls10)
        return await connection(retryIf: { conversation in
            switch conversation.outcome {
            case .connectFailed: return true
            case .timedOut(let f): return f.bytesReceived == 0
            default: return false
            }
        }) {
            let conversation = await self.scanner.transport.converse(self.address, send: bytes, stopAt: stopAt, followUp: followUp)
            if stopAt == .serverHelloOrDHParameters, case .timedOut(let f) = conversation.outcome,
               f.serverHello?.cipherSuite.info?.usesEphemeralFiniteFieldDH == true, f.serverKeyExchangeBody == nil {
                self.dhStalled.withLockedValue { $0 = true }
            }
            return conversation
        }
    }

    /// One connection under both caps, counted under the current check (`ScanStep`), tried again
    /// (after 100 ms, then 200 ms …, `options.retries` times) while `retryIf` says it got nothing.
    func connection<T: Sendable>(retryIf: (T) -> Bool = { _ in false }, _ attempt: @escaping @Sendable () async -> T) async -> T {
        var tries = 0
        while true {
            let result = await scanner.global.withPermit {
                await self.perHost.withPermit {
                    self.counter.count()
                    return await attempt()
                }
            }
            if !retryIf(result) || tries >= options.retries { return result }
            tries += 1
            try? await Task.sleep(for: .milliseconds(100 * tries))
        }
    }

    // MARK: Hellos

    func hello(_ v: ProtocolVersion, suites: [CipherSuite], signatureAlgorithms: [SignatureScheme]? = nil) -> ClientHello {
        var b = ClientHelloBuilder(version: v, cipherSuites: suites, serverName: target.sni)
        if v >= .tls13 { b.groups = Self.tls13Groups }
        if let signatureAlgorithms { b.signatureAlgorithms = signatureAlgorithms }
        return b.build()
    }

    /// What a broadly compatible modern client offers: TLS 1.0–1.3 and the common suites.
    func modernHello() -> ClientHello {
        let suites = CipherSuiteInfo.all.filter { info in
            !info.isUnofficial && info.mode != .null && !info.isAnonymous && !info.isExport && !info.suite.isSCSV
                && (info.cipher.hasPrefix("AES") || info.cipher.hasPrefix("CHACHA") || info.cipher == "3DES_EDE_CBC")
                && [.rsa, .dhe, .ecdhe, .any].contains(info.keyExchange)
        }.map(\.suite)
        var b = ClientHelloBuilder(version: .tls13, cipherSuites: suites.sorted { $0.offerRank < $1.offerRank }, serverName: target.sni)
        b.alsoOfferVersions = [.tls12, .tls11, .tls10]
        return b.build()
    }

    /// The suites a scan offers in a version: every registry suite valid in it.
    static func candidates(for v: ProtocolVersion) -> [CipherSuite] {
        CipherSuiteInfo.all.filter { !$0.suite.isSCSV && $0.allows(v) }.map(\.suite)
    }

    enum Answer {
        case accepted(CipherSuite)
        case refused(String)
        case failed(String)
    }

    /// What a probe's outcome means for "does the server accept version v with one of `offered`".
    ///
    /// Only an answer the scanner understood is a refusal: an alert, a close or reset before any
    /// byte, or a ServerHello for a lower version. A timeout, a close mid-record, bytes that are not
    /// TLS, a malformed message, a version above the one asked for or a suite that was never offered
    /// are failures: the version's result is an error, never "not offered".
    func classify(_ outcome: ProbeOutcome, version v: ProtocolVersion, offered: [CipherSuite]) -> Answer {
        if let sh = outcome.serverHello {
            let negotiated = (try? sh.negotiatedVersion()) ?? sh.legacyVersion
            /// A ServerHello no correct server sends: an anomaly of the target, and this probe failed.
            func lie(_ note: String) -> Answer {
                Task { await anomalies.add(note) }
                return .failed(note)
            }
            guard offered.contains(sh.cipherSuite) else {
                return lie("chose \(sh.cipherSuite.name) in \(negotiated.displayName), which the client did not offer")
            }
            if let info = sh.cipherSuite.info, !info.allows(negotiated) {
                return lie("chose \(sh.cipherSuite.name) in \(negotiated.displayName), where that suite does not exist")
            }
            guard negotiated <= v else {
                return lie("answered a \(v.displayName) hello with \(negotiated.displayName), a version it was not offered")
            }
            // A lower version is how a server without v answers (RFC 8446 §4.1.3, RFC 5246 §E.1).
            guard negotiated == v else { return .refused("server answered with \(negotiated.displayName)") }
            noteDHPrime(outcome, version: v)
            if ScanStep.current == .versions, v <= .tls12 {
                // A hello without TLS 1.3 answered in v: what a downgrade-sentinel probe would ask.
                sentinels.withLockedValue { if $0[v] == nil { $0[v] = .some(sh.downgradeSentinel) } }
            }
            return .accepted(sh.cipherSuite)
        }
        if let why = failure(outcome) { return .failed(why) }
        switch outcome {
        case .ioError(let why): return .refused(why)
        default:
            if let alert = outcome.flight?.alert { return .refused("alert \(alert.alertDescription)") }
            return .refused("connection closed without an answer")
        }
    }

    /// Keeps the DH prime of an accepted DH suite's ServerKeyExchange (probes stop there,
    /// `serverHelloOrDHParameters`).
    func noteDHPrime(_ outcome: ProbeOutcome, version v: ProtocolVersion) {
        guard let flight = outcome.flight, let suite = flight.serverHello?.cipherSuite,
              case .dhe(let prime, _, _)? = try? flight.serverKeyExchange() else { return }
        dhPrimes.withLockedValue { $0[v, default: [:]][suite] = prime }
    }

    /// Why an outcome is no answer at all (nil when it is a ServerHello, an alert, an SSL 2.0
    /// answer, or a close or reset before the first byte — the ways a server says no).
    func failure(_ outcome: ProbeOutcome) -> String? {
        switch outcome {
        case .answered(let f), .closed(let f), .timedOut(let f):
            if f.serverHello != nil || f.alert != nil || f.sslv2ServerHello != nil || f.sslv2Error != nil { return nil }
            if case .timedOut = outcome {
                return f.bytesReceived == 0
                    ? "no answer within \(seconds(options.readTimeout)) s"
                    : "no complete answer within \(seconds(options.readTimeout)) s (\(f.bytesReceived) bytes, then silence)"
            }
            if f.bytesReceived > 0 { return "the connection closed mid-answer after \(f.bytesReceived) bytes" }
            return nil
        case .ioError:
            return nil
        case .notTLS(let bytes):
            return "not TLS: \(describeBytes(bytes))"
        case .malformed(let error):
            return "malformed answer: \(error)"
        case .connectFailed(let why):
            return why
        }
    }

}
