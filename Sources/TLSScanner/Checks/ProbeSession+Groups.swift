import Crypto
import NIOCore
import TLSReport
import TLSWire

extension ProbeSession {
    // MARK: Groups

    /// Fills in groups for TLS 1.3 (HelloRetryRequest elimination, post-quantum included) and for
    /// the best of TLS 1.0–1.2 that has ECDHE suites (ServerKeyExchange elimination), plus the DH
    /// primes of every version.
    func scanGroups(_ protocols: inout [ProtocolResult]) async {
        async let tls13: GroupsResult? = {
            guard let p = protocols.first(where: { $0.version == .tls13 }), p.supported == true else { return nil }
            // Done already when the version scan went straight on to them (`scanVersionAndGroups`).
            if let done = p.groups { return done }
            let suites = p.cipherSuites.compactMap(\.suite)
            return await self.during(.groups) { await self.groups13(suites: suites) }
        }()
        let classic = protocols.filter { p in
            p.supported == true && [ProtocolVersion.tls10, .tls11, .tls12].contains(p.version)
        }.last
        async let tls12: GroupsResult? = {
            guard let p = classic else { return nil }
            let ecdhe = p.cipherSuites.compactMap(\.suite).filter { $0.info?.keyExchange == .ecdhe }
            let v = p.version
            guard !ecdhe.isEmpty else {
                return GroupsResult(check: .notRun("no ECDHE suites"), groups: [])
            }
            return await self.during(.groups) { await self.groupsClassic(v, suites: ecdhe) }
        }()
        let found = protocols
        async let dh: [ProtocolVersion: [DHParameters]] = self.during(.dhParameters) { await self.dhParameters(found) }
        let (g13, g12, dhByVersion) = await (tls13, tls12, dh)
        for i in protocols.indices {
            if protocols[i].version == .tls13 { protocols[i].groups = g13 }
            if let c = classic, protocols[i].version == c.version { protocols[i].groups = g12 }
            if let primes = dhByVersion[protocols[i].version], let smallest = primes.first {
                protocols[i].dhParameters = primes
                protocols[i].dhParameterBits = smallest.primeBits
                protocols[i].dhWellKnownPrime = smallest.wellKnownPrime
            }
        }
    }

    /// `protocols` with their groups filled in (`scanGroups`).
    func withGroups(_ protocols: [ProtocolResult]) async -> [ProtocolResult] {
        var p = protocols
        await scanGroups(&p)
        return p
    }

    /// Every group a TLS 1.3 scan asks about: all known, classical and post-quantum.
    static let tls13GroupCandidates: [NamedGroup] = NamedGroup.allKnown.filter { $0.rawValue < 0xFF00 && $0.isAllowedInTLS13 }

    /// The groups a TLS 1.3-only hello lists: the default ones a TLS 1.3 server may negotiate.
    static let tls13Groups: [NamedGroup] = ClientHelloBuilder.defaultGroups.filter(\.isAllowedInTLS13)

    func groups13(suites: [CipherSuite]) async -> GroupsResult {
        var remaining = Self.tls13GroupCandidates
        var found: [NamedGroup] = []
        while !remaining.isEmpty {
            var b = ClientHelloBuilder(version: .tls13, cipherSuites: suites, serverName: target.sni)
            b.groups = remaining
            b.keyShareGroups = [] // the server must name its pick in a HelloRetryRequest
            let outcome = await probe(b.build(), stopAt: .serverHello)
            if let why = failure(outcome) { return GroupsResult(check: .error(why), groups: found.map(GroupResult.init)) }
            guard let sh = outcome.serverHello, sh.isHelloRetryRequest,
                  let g = (try? sh.extensions.helloRetryRequestGroup()) ?? nil, remaining.contains(g) else { break }
            found.append(g)
            remaining.removeAll { $0 == g }
        }
        return GroupsResult(check: .completed, groups: found.map(GroupResult.init))
    }

    func groupsClassic(_ v: ProtocolVersion, suites: [CipherSuite]) async -> GroupsResult {
        var remaining = ClientHelloBuilder.defaultGroups.filter { !$0.isFiniteField }
        var found: [NamedGroup] = []
        while !remaining.isEmpty {
            var b = ClientHelloBuilder(version: v, cipherSuites: suites, serverName: target.sni)
            b.groups = remaining
            let outcome = await probe(b.build(), stopAt: .serverHelloDone)
            if let why = failure(outcome) { return GroupsResult(check: .error(why), groups: found.map(GroupResult.init)) }
            if case .timedOut(let f) = outcome, !f.serverHelloDone {
                return GroupsResult(check: .error("the server's flight stopped before ServerHelloDone"), groups: found.map(GroupResult.init))
            }
            guard let flight = outcome.flight, flight.serverHello != nil,
                  case .ecdhe(let g, _)? = try? flight.serverKeyExchange(), remaining.contains(g) else { break }
            found.append(g)
            remaining.removeAll { $0 == g }
        }
        return GroupsResult(check: .completed, groups: found.map(GroupResult.init))
    }

    /// The DH primes of every TLS 1.0–1.2 version with DHE or DH_anon suites, per suite. The
    /// enumeration's probes read them already (`dhPrimes`); a suite whose prime was not read (its
    /// probe stopped early) is asked again by elimination over just those suites.
    func dhParameters(_ protocols: [ProtocolResult]) async -> [ProtocolVersion: [DHParameters]] {
        var out: [ProtocolVersion: [DHParameters]] = [:]
        for p in protocols where p.supported == true && p.version >= .sslv3 && p.version <= .tls12 {
            let dhSuites = p.cipherSuites.compactMap(\.suite).filter { $0.info?.usesEphemeralFiniteFieldDH == true }
            guard !dhSuites.isEmpty else { continue }
            var remaining = dhSuites.filter { s in dhPrimes.withLockedValue { $0[p.version]?[s] == nil } }
            // A server that stalled after a DH ServerHello would stall again.
            while !remaining.isEmpty, !dhStalled.withLockedValue({ $0 }) {
                let outcome = await probe(hello(p.version, suites: remaining), stopAt: .serverHelloOrDHParameters)
                guard case .accepted(let suite) = classify(outcome, version: p.version, offered: remaining) else { break }
                remaining.removeAll { $0 == suite }
            }
            let primes = dhPrimes.withLockedValue { $0[p.version] ?? [:] }
            out[p.version] = Self.grouped(dhSuites.compactMap { s in primes[s].map { (s, $0) } })
        }
        return out
    }

    /// Suites grouped by the prime they came with, smallest prime first, each with its published
    /// group's name when it is a well-known one.
    static func grouped(_ primes: [(CipherSuite, [UInt8])]) -> [DHParameters] {
        var order: [[UInt8]] = []
        var suites: [[UInt8]: [String]] = [:]
        for (suite, prime) in primes {
            let p = Array(prime.drop { $0 == 0 })
            if suites[p] == nil { order.append(p) }
            suites[p, default: []].append(suite.name)
        }
        return order.map { p in
            let bits = ServerKeyExchange.dhe(prime: p, generator: [], publicKey: []).modulusBits ?? 0
            let name = wellKnownDHPrimes[Array(SHA256.hash(data: p)).hexString]?.name
            return DHParameters(primeBits: bits, wellKnownPrime: name, suites: suites[p] ?? [])
        }.sorted { $0.primeBits < $1.primeBits }
    }
}
