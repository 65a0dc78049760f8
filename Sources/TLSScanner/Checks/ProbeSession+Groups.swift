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
            // Done already when the version scan went straight on to them (`ProtocolVersionCheck`).
            if let done = p.groups { return done }
            let suites = p.cipherSuites.compactMap(\.suite)
            return await self.run(TLS13GroupsCheck(suites: suites))
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
            return await self.run(ClassicGroupsCheck(version: v, suites: ecdhe))
        }()
        let found = protocols
        async let dh: [ProtocolVersion: [DHParameters]] = self.run(DHParametersCheck(protocols: found))
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
}
