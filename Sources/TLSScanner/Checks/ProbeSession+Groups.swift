import Crypto
import NIOCore
import TLSReport
import TLSWire

extension ProbeSession {
    // MARK: Groups

    /// Fills in groups for TLS 1.3 (HelloRetryRequest elimination, post-quantum included) and for
    /// the best of TLS 1.0–1.2 that has ECDHE suites (ServerKeyExchange elimination), plus the DH size.
    func scanGroups(_ protocols: inout [ProtocolResult]) async {
        async let tls13: GroupsResult? = {
            guard let p = protocols.first(where: { $0.version == .tls13 }), p.supported == true else { return nil }
            // Done already when the version scan went straight on to them (`scanVersionAndGroups`).
            if let done = p.groups { return done }
            return await self.groups13(suites: p.cipherSuites.compactMap(\.suite))
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
            return await self.groupsClassic(v, suites: ecdhe)
        }()
        async let dh: (Int, String?)? = {
            guard let p = classic else { return nil }
            let v = p.version
            let dhe = p.cipherSuites.compactMap(\.suite).filter { $0.info?.keyExchange == .dhe }
            guard !dhe.isEmpty else { return nil }
            return await self.dhSize(v, suites: dhe)
        }()
        let (g13, g12, dhParams) = await (tls13, tls12, dh)
        for i in protocols.indices {
            if protocols[i].version == .tls13 { protocols[i].groups = g13 }
            if let c = classic, protocols[i].version == c.version {
                protocols[i].groups = g12
                protocols[i].dhParameterBits = dhParams?.0
                protocols[i].dhWellKnownPrime = dhParams?.1
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

    /// The DH prime's size, and the published group it comes from if it is a well-known one.
    func dhSize(_ v: ProtocolVersion, suites: [CipherSuite]) async -> (Int, String?)? {
        let outcome = await probe(hello(v, suites: suites), stopAt: .serverHelloDone)
        guard let ske = try? outcome.flight?.serverKeyExchange(), case .dhe(let prime, _, _) = ske, let bits = ske.modulusBits else { return nil }
        let trimmed = Array(prime.drop { $0 == 0 })
        let digest = Array(SHA256.hash(data: trimmed)).hexString
        return (bits, wellKnownDHPrimes[digest]?.name)
    }
}
