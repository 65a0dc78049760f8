import Crypto
import NIOConcurrencyHelpers
import NIOCore
import TLSReport
import TLSWire

/// The probes of one target: hellos built for it, sent under its connection cap.
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
        var attempt = 0
        while true {
            let conversation = await scanner.global.withPermit {
                await self.perHost.withPermit {
                    self.counter.count()
                    return await self.scanner.transport.converse(self.address, send: bytes, stopAt: stopAt, followUp: followUp)
                }
            }
            if stopAt == .serverHelloOrDHParameters, case .timedOut(let f) = conversation.outcome,
               f.serverHello?.cipherSuite.info?.usesEphemeralFiniteFieldDH == true, f.serverKeyExchangeBody == nil {
                dhStalled.withLockedValue { $0 = true }
            }
            let retry: Bool
            switch conversation.outcome {
            case .connectFailed: retry = true
            case .timedOut(let f): retry = f.bytesReceived == 0
            default: retry = false
            }
            if !retry || attempt >= options.retries { return conversation }
            attempt += 1
            try? await Task.sleep(for: .milliseconds(100 * attempt))
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

    // MARK: Versions and suites

    func scanVersion(_ v: ProtocolVersion) async -> ProtocolResult {
        if v == .sslv2 { return await scanSSLv2() }
        let candidates = Self.candidates(for: v)
        var knownOrder: ServerOrder?
        if options.foldOrderIntoEnumeration {
            switch await foldedScan(v, candidates) {
            case .done(var result):
                // The chain's order is the order for the certificate it reached; suites that only
                // another certificate serves follow it.
                if result.supported == true {
                    let found = result.cipherSuites.compactMap(\.suite)
                    let more = await otherCertificateSuites(v, found: found, candidates: candidates)
                    result.cipherSuites += more.accepted.map(SuiteResult.init)
                    if let failure = more.error, result.check.status != .error { result.check = .error("incomplete: \(failure)") }
                }
                return result
            case .clientOrder: knownOrder = ServerOrder(check: .completed, enforced: false)
            case .undecided: break
            }
        }
        let blocks = stride(from: 0, to: candidates.count, by: options.blockSize).map {
            Array(candidates[$0..<min($0 + options.blockSize, candidates.count)])
        }
        let chains = await withTaskGroup(of: Elimination.self) { group in
            for block in blocks { group.addTask { await self.eliminate(v, block) } }
            var out: [Elimination] = []
            for await e in group { out.append(e) }
            return out
        }
        var accepted = Set(chains.flatMap(\.accepted))
        var errors = chains.compactMap(\.error)
        if !accepted.isEmpty {
            let more = await otherCertificateSuites(v, found: Array(accepted), candidates: candidates)
            accepted.formUnion(more.accepted)
            errors += more.error.map { [$0] } ?? []
        }
        if let failure = errors.first, accepted.isEmpty {
            return ProtocolResult(version: v, check: .error(failure), supported: nil)
        }
        guard !accepted.isEmpty else {
            let refusal = chains.compactMap(\.refusal).first
            return ProtocolResult(version: v, check: .completed, supported: false, refusal: refusal)
        }
        var result = ProtocolResult(version: v, check: .completed, supported: true)
        let ordered = candidates.filter(accepted.contains)
        if let knownOrder, ordered.count >= 2 {
            result.serverOrder = knownOrder
            result.cipherSuites = ordered.map(SuiteResult.init)
        } else {
            let order = await serverOrder(v, ordered)
            result.serverOrder = order.result
            result.cipherSuites = order.suites.map(SuiteResult.init)
        }
        if let partial = errors.first {
            // Some blocks failed: the list may be incomplete, and the report says so.
            result.check = .error("incomplete: \(partial)")
        }
        return result
    }

    enum Fold: Sendable {
        /// Enumeration and server order done in one chain (or the version clearly refused).
        case done(ProtocolResult)
        /// The server follows the client's order: enumerate in blocks, no order pass needed.
        case clientOrder
        /// No clear answer to a hello with every candidate (a close, a reset, silence: perhaps a
        /// server intolerant of large hellos): enumerate in blocks as usual.
        case undecided
    }

    /// Enumeration and server order in one elimination chain. Two hellos with every candidate,
    /// forwards and backwards: a server that picks by its own order picks the same suite from
    /// both, and then each later pick of the chain (everything not picked yet, offered again) is
    /// its next preference, so the chain's order is the server's order and no second pass is
    /// needed (for TLS 1.2's 56 suites on OpenSSL: 57 probes instead of the blocks' ~62 and the
    /// order pass's 57). Different picks mean the client's order counts.
    func foldedScan(_ v: ProtocolVersion, _ candidates: [CipherSuite]) async -> Fold {
        guard candidates.count >= 2 else { return .undecided }
        async let forward = probe(hello(v, suites: candidates), stopAt: .serverHelloOrDHParameters)
        async let backward = probe(hello(v, suites: candidates.reversed()), stopAt: .serverHelloOrDHParameters)
        let (f, b) = await (forward, backward)
        let (fa, ba) = (classify(f, version: v, offered: candidates), classify(b, version: v, offered: candidates))
        guard case .accepted(let first) = fa, case .accepted(let last) = ba else {
            // Both refused with protocol_version: the server read the whole hello and does not
            // speak this version, so smaller blocks cannot change its answer. (handshake_failure
            // could also be a server choking on a long suite list: that one gets the blocks.)
            if case .refused(let why) = fa, case .refused = ba,
               let a = f.flight?.alert, let c = b.flight?.alert, a.alertDescription == .protocolVersion,
               c.alertDescription == .protocolVersion {
                return .done(ProtocolResult(version: v, check: .completed, supported: false, refusal: why))
            }
            return .undecided
        }
        guard first == last else { return .clientOrder }
        var order = [first]
        var remaining = candidates.filter { $0 != first }
        var failure: String?
        chain: while !remaining.isEmpty {
            let outcome = await probe(hello(v, suites: remaining), stopAt: .serverHelloOrDHParameters)
            switch classify(outcome, version: v, offered: remaining) {
            case .accepted(let suite):
                order.append(suite)
                remaining.removeAll { $0 == suite }
            case .refused:
                break chain
            case .failed(let why):
                failure = why
                break chain
            }
        }
        var result = ProtocolResult(version: v, check: .completed, supported: true)
        result.cipherSuites = order.map(SuiteResult.init)
        result.serverOrder = order.count >= 2
            ? ServerOrder(check: .completed, enforced: true)
            : ServerOrder(check: .notRun("fewer than two suites"), enforced: nil)
        if let failure { result.check = .error("incomplete: \(failure)") }
        return .done(result)
    }

    /// A version's scan and, for TLS 1.3, its groups right after: they need nothing but the TLS 1.3
    /// suites, so they overlap the longer scans of the other versions instead of following them.
    func scanVersionAndGroups(_ v: ProtocolVersion) async -> ProtocolResult {
        var r = await scanVersion(v)
        if v == .tls13, r.supported == true {
            let suites = r.cipherSuites.compactMap(\.suite)
            r.groups = await during(.groups) { await groups13(suites: suites) }
        }
        return r
    }

    struct Elimination: Sendable {
        var accepted: [CipherSuite] = []
        var refusal: String?
        var error: String?
    }

    /// Offers `suites`, records the server's pick, removes it and asks again until the server refuses.
    func eliminate(_ v: ProtocolVersion, _ suites: [CipherSuite], signatureAlgorithms: [SignatureScheme]? = nil) async -> Elimination {
        var remaining = suites
        var e = Elimination()
        while !remaining.isEmpty {
            let outcome = await probe(hello(v, suites: remaining, signatureAlgorithms: signatureAlgorithms), stopAt: .serverHelloOrDHParameters)
            switch classify(outcome, version: v, offered: remaining) {
            case .accepted(let suite):
                e.accepted.append(suite)
                remaining.removeAll { $0 == suite }
            case .refused(let why):
                if e.accepted.isEmpty { e.refusal = why }
                return e
            case .failed(let why):
                e.error = why
                return e
            }
        }
        return e
    }

    /// The certificate types a server may hold at once, with the TLS 1.2 signature algorithms that
    /// name each (RFC 8446 §4.2.3 code points; RFC 5246 §7.4.1.4.1).
    static let certificateTypes: [(Authentication, [SignatureScheme])] = [
        (.rsa, [0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201].map { SignatureScheme($0) }),
        (.ecdsa, [0x0403, 0x0503, 0x0603, 0x0203].map { SignatureScheme($0) }),
        (.dss, [0x0402, 0x0502, 0x0602, 0x0202].map { SignatureScheme($0) }),
    ]

    /// Suites that only a second certificate of the server serves. A server with an RSA and an
    /// ECDSA certificate picks one per hello, and may pick from the whole suite list: haproxy takes
    /// its ECDSA certificate whenever an ECDSA suite is offered, so once the enabled ECDSA suites
    /// are eliminated, the hello still carries disabled ones, the ECDSA certificate is chosen, no
    /// suite is shared, and the ECDHE_RSA and DHE_RSA suites are never seen. For each certificate
    /// type of which nothing was accepted, one more elimination offers only that type's remaining
    /// suites (with only its signature algorithms in TLS 1.2): a server without such a certificate
    /// refuses the first hello, one connection per type.
    func otherCertificateSuites(_ v: ProtocolVersion, found: [CipherSuite], candidates: [CipherSuite]) async -> Elimination {
        guard v >= .sslv3, v <= .tls12 else { return Elimination() }
        let foundTypes = Set(found.compactMap { $0.info?.authentication })
        let passes: [([CipherSuite], [SignatureScheme]?)] = Self.certificateTypes.compactMap { type, schemes in
            guard !foundTypes.contains(type) else { return nil }
            let suites = candidates.filter { $0.info?.authentication == type && !found.contains($0) }
            return suites.isEmpty ? nil : (suites, v == .tls12 ? schemes : nil)
        }
        let results = await withTaskGroup(of: Elimination.self) { group in
            for (suites, schemes) in passes { group.addTask { await self.eliminate(v, suites, signatureAlgorithms: schemes) } }
            var out: [Elimination] = []
            for await e in group { out.append(e) }
            return out
        }
        // A refusal is the expected answer of a server without that certificate type; only a
        // failure (timeout, garbage) makes the list incomplete.
        var all = Elimination(accepted: results.flatMap(\.accepted))
        all.error = results.compactMap(\.error).first
        return all
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

    // MARK: Server order

    struct Order: Sendable {
        var result: ServerOrder
        var suites: [CipherSuite]
    }

    /// Does the server pick by its own order? Offer the accepted suites forwards and backwards:
    /// the same pick both times means it does; then its order comes out by elimination.
    func serverOrder(_ v: ProtocolVersion, _ accepted: [CipherSuite]) async -> Order {
        guard accepted.count >= 2 else {
            return Order(result: ServerOrder(check: .notRun("fewer than two suites"), enforced: nil), suites: accepted)
        }
        async let forward = probe(hello(v, suites: accepted), stopAt: .serverHelloOrDHParameters)
        async let backward = probe(hello(v, suites: accepted.reversed()), stopAt: .serverHelloOrDHParameters)
        let (f, b) = await (forward, backward)
        guard case .accepted(let a) = classify(f, version: v, offered: accepted),
              case .accepted(let c) = classify(b, version: v, offered: accepted) else {
            return Order(result: ServerOrder(check: .error("the server refused a hello of suites it had accepted"), enforced: nil),
                         suites: accepted)
        }
        guard a == c else {
            return Order(result: ServerOrder(check: .completed, enforced: false), suites: accepted)
        }
        var order = [a]
        var remaining = accepted.filter { $0 != a }
        while remaining.count > 1 {
            let outcome = await probe(hello(v, suites: remaining), stopAt: .serverHelloOrDHParameters)
            guard case .accepted(let s) = classify(outcome, version: v, offered: remaining) else {
                return Order(result: ServerOrder(check: .error("order probe refused after \(order.count) suites"), enforced: true),
                             suites: order + remaining)
            }
            order.append(s)
            remaining.removeAll { $0 == s }
        }
        return Order(result: ServerOrder(check: .completed, enforced: true), suites: order + remaining)
    }

    // MARK: SSL 2.0

    func scanSSLv2() async -> ProtocolResult {
        let outcome = await probe(ClientHelloBuilder.sslv2Hello(), stopAt: .serverHello)
        switch outcome {
        case .answered(let f), .closed(let f), .timedOut(let f):
            if let sh = f.sslv2ServerHello {
                var r = ProtocolResult(version: .sslv2, check: .completed, supported: !sh.cipherSpecs.isEmpty)
                r.sslv2CipherSpecs = sh.cipherSpecs.map { code in
                    let spec = SSLv2CipherSpec.named(code)
                    return SSLv2SpecResult(code: String(format: "0x%06X", code), name: spec?.name ?? String(format: "0x%06X", code),
                                           opensslName: spec?.opensslName, bits: spec?.bits)
                }
                r.serverOrder = ServerOrder(check: .notRun("SSL 2.0: the client chooses"), enforced: nil)
                return r
            }
            if let code = f.sslv2Error { return ProtocolResult(version: .sslv2, check: .completed, supported: false, refusal: "SSL 2.0 error \(code)") }
            if let alert = f.alert { return ProtocolResult(version: .sslv2, check: .completed, supported: false, refusal: "alert \(alert.alertDescription)") }
            if case .timedOut = outcome, let why = failure(outcome) {
                return ProtocolResult(version: .sslv2, check: .error(why), supported: nil)
            }
            return ProtocolResult(version: .sslv2, check: .completed, supported: false, refusal: "no SSL 2.0 answer")
        case .ioError(let why):
            return ProtocolResult(version: .sslv2, check: .completed, supported: false, refusal: why)
        case .notTLS, .malformed:
            // Servers that do not speak SSL 2.0 often answer its record format with garbage.
            return ProtocolResult(version: .sslv2, check: .completed, supported: false, refusal: "no SSL 2.0 answer")
        case .connectFailed(let why):
            return ProtocolResult(version: .sslv2, check: .error(why), supported: nil)
        }
    }
}
