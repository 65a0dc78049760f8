import TLSReport
import TLSWire

/// One protocol version: is it supported, which suites, in what order (SSL 2.0: the cipher specs).
/// Elimination chains (offer the candidates, note the pick, offer the rest again), folded with
/// the server-order question where the server has an order; one more elimination per certificate
/// type nothing was accepted for. A chain is one connection per accepted suite, plus one.
struct ProtocolVersionCheck: ScanCheck {
    static let step = ScanStep.versions
    var version: ProtocolVersion

    /// The version's scan and, for TLS 1.3, its groups right after: they need nothing but the TLS
    /// 1.3 suites, so they overlap the longer scans of the other versions instead of following them.
    func run(_ probes: ProbeSession) async -> ProtocolResult {
        var r = await scanVersion(probes, version)
        if version == .tls13, r.supported == true {
            let suites = r.cipherSuites.compactMap(\.suite)
            r.groups = await probes.run(TLS13GroupsCheck(suites: suites))
        }
        return r
    }

    func scanVersion(_ probes: ProbeSession, _ v: ProtocolVersion) async -> ProtocolResult {
        if v == .sslv2 { return await scanSSLv2(probes) }
        let candidates = ProbeSession.candidates(for: v)
        var knownOrder: ServerOrder?
        if probes.options.foldOrderIntoEnumeration {
            switch await foldedScan(probes, v, candidates) {
            case .done(var result):
                // The chain's order is the order for the certificate it reached; suites that only
                // another certificate serves follow it.
                if result.supported == true {
                    let found = result.cipherSuites.compactMap(\.suite)
                    let more = await otherCertificateSuites(probes, v, found: found, candidates: candidates)
                    result.cipherSuites += more.accepted.map(SuiteResult.init)
                    if let failure = more.error, result.check.status != .error { result.check = .error("incomplete: \(failure)") }
                }
                return result
            case .clientOrder: knownOrder = ServerOrder(check: .completed, enforced: false)
            case .undecided: break
            }
        }
        let blocks = stride(from: 0, to: candidates.count, by: probes.options.blockSize).map {
            Array(candidates[$0..<min($0 + probes.options.blockSize, candidates.count)])
        }
        let chains = await inOrder(blocks.map { block in { await self.eliminate(probes, v, block) } })
        var accepted = Set(chains.flatMap(\.accepted))
        var errors = chains.compactMap(\.error)
        if !accepted.isEmpty {
            let more = await otherCertificateSuites(probes, v, found: Array(accepted), candidates: candidates)
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
            let order = await serverOrder(probes, v, ordered)
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
    func foldedScan(_ probes: ProbeSession, _ v: ProtocolVersion, _ candidates: [CipherSuite]) async -> Fold {
        guard candidates.count >= 2 else { return .undecided }
        async let forward = probes.probe(probes.hello(v, suites: candidates), stopAt: .serverHelloOrDHParameters)
        async let backward = probes.probe(probes.hello(v, suites: candidates.reversed()), stopAt: .serverHelloOrDHParameters)
        let (f, b) = await (forward, backward)
        let (fa, ba) = (probes.classify(f, version: v, offered: candidates), probes.classify(b, version: v, offered: candidates))
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
            let outcome = await probes.probe(probes.hello(v, suites: remaining), stopAt: .serverHelloOrDHParameters)
            switch probes.classify(outcome, version: v, offered: remaining) {
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


    /// Runs the eliminations side by side and returns them in the order given, not in the order
    /// they finish: the first refusal or error reported is then the same on every run.
    private func inOrder(_ work: [@Sendable () async -> Elimination]) async -> [Elimination] {
        await withTaskGroup(of: (Int, Elimination).self) { group in
            for (i, w) in work.enumerated() { group.addTask { (i, await w()) } }
            var out = [Elimination?](repeating: nil, count: work.count)
            for await (i, e) in group { out[i] = e }
            return out.compactMap { $0 }
        }
    }

    struct Elimination: Sendable {
        var accepted: [CipherSuite] = []
        var refusal: String?
        var error: String?
    }

    /// Offers `suites`, records the server's pick, removes it and asks again until the server refuses.
    func eliminate(_ probes: ProbeSession, _ v: ProtocolVersion, _ suites: [CipherSuite], signatureAlgorithms: [SignatureScheme]? = nil) async -> Elimination {
        var remaining = suites
        var e = Elimination()
        while !remaining.isEmpty {
            let outcome = await probes.probe(probes.hello(v, suites: remaining, signatureAlgorithms: signatureAlgorithms), stopAt: .serverHelloOrDHParameters)
            switch probes.classify(outcome, version: v, offered: remaining) {
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
    func otherCertificateSuites(_ probes: ProbeSession, _ v: ProtocolVersion, found: [CipherSuite], candidates: [CipherSuite]) async -> Elimination {
        guard v >= .sslv3, v <= .tls12 else { return Elimination() }
        let foundTypes = Set(found.compactMap { $0.info?.authentication })
        let passes: [([CipherSuite], [SignatureScheme]?)] = Self.certificateTypes.compactMap { type, schemes in
            guard !foundTypes.contains(type) else { return nil }
            let suites = candidates.filter { $0.info?.authentication == type && !found.contains($0) }
            return suites.isEmpty ? nil : (suites, v == .tls12 ? schemes : nil)
        }
        let results = await inOrder(passes.map { suites, schemes in
            { await self.eliminate(probes, v, suites, signatureAlgorithms: schemes) }
        })
        // A refusal is the expected answer of a server without that certificate type; only a
        // failure (timeout, garbage) makes the list incomplete.
        var all = Elimination(accepted: results.flatMap(\.accepted))
        all.error = results.compactMap(\.error).first
        return all
    }

    // MARK: Server order

    struct Order: Sendable {
        var result: ServerOrder
        var suites: [CipherSuite]
    }

    /// Does the server pick by its own order? Offer the accepted suites forwards and backwards:
    /// the same pick both times means it does; then its order comes out by elimination.
    func serverOrder(_ probes: ProbeSession, _ v: ProtocolVersion, _ accepted: [CipherSuite]) async -> Order {
        guard accepted.count >= 2 else {
            return Order(result: ServerOrder(check: .notRun("fewer than two suites"), enforced: nil), suites: accepted)
        }
        async let forward = probes.probe(probes.hello(v, suites: accepted), stopAt: .serverHelloOrDHParameters)
        async let backward = probes.probe(probes.hello(v, suites: accepted.reversed()), stopAt: .serverHelloOrDHParameters)
        let (f, b) = await (forward, backward)
        guard case .accepted(let a) = probes.classify(f, version: v, offered: accepted),
              case .accepted(let c) = probes.classify(b, version: v, offered: accepted) else {
            return Order(result: ServerOrder(check: .error("the server refused a hello of suites it had accepted"), enforced: nil),
                         suites: accepted)
        }
        guard a == c else {
            return Order(result: ServerOrder(check: .completed, enforced: false), suites: accepted)
        }
        var order = [a]
        var remaining = accepted.filter { $0 != a }
        while remaining.count > 1 {
            let outcome = await probes.probe(probes.hello(v, suites: remaining), stopAt: .serverHelloOrDHParameters)
            guard case .accepted(let s) = probes.classify(outcome, version: v, offered: remaining) else {
                return Order(result: ServerOrder(check: .error("order probe refused after \(order.count) suites"), enforced: true),
                             suites: order + remaining)
            }
            order.append(s)
            remaining.removeAll { $0 == s }
        }
        return Order(result: ServerOrder(check: .completed, enforced: true), suites: order + remaining)
    }

    // MARK: SSL 2.0

    func scanSSLv2(_ probes: ProbeSession) async -> ProtocolResult {
        let outcome = await probes.probe(ClientHelloBuilder.sslv2Hello(), stopAt: .serverHello)
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
            if case .timedOut = outcome, let why = probes.failure(outcome) {
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
