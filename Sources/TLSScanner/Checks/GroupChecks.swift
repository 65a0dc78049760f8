import Crypto
import NIOCore
import TLSReport
import TLSWire

/// TLS 1.3 groups by HelloRetryRequest elimination: a hello listing the remaining groups with no
/// key share makes the server name its pick (RFC 8446 §4.1.4), post-quantum ones included. One
/// connection per group found, plus one.
struct TLS13GroupsCheck: ScanCheck {
    static let step = ScanStep.groups
    var suites: [CipherSuite]

    func run(_ probes: ProbeSession) async -> GroupsResult {
        var remaining = ProbeSession.tls13GroupCandidates
        var found: [NamedGroup] = []
        while !remaining.isEmpty {
            var b = ClientHelloBuilder(version: .tls13, cipherSuites: suites, serverName: probes.target.sni)
            b.groups = remaining
            b.keyShareGroups = [] // the server must name its pick in a HelloRetryRequest
            let outcome = await probes.probe(b.build(), stopAt: .serverHello)
            if let why = probes.failure(outcome) { return GroupsResult(check: .error(why), groups: found.map(GroupResult.init)) }
            guard let sh = outcome.serverHello, sh.isHelloRetryRequest,
                  let g = (try? sh.extensions.helloRetryRequestGroup()) ?? nil, remaining.contains(g) else { break }
            found.append(g)
            remaining.removeAll { $0 == g }
        }
        return GroupsResult(check: .completed, groups: found.map(GroupResult.init))
    }
}

/// TLS 1.0–1.2 ECDHE groups by ServerKeyExchange elimination (RFC 8422 §5.4). One connection per
/// group found, plus one.
struct ClassicGroupsCheck: ScanCheck {
    static let step = ScanStep.groups
    var version: ProtocolVersion
    var suites: [CipherSuite]

    func run(_ probes: ProbeSession) async -> GroupsResult {
        let v = version
        var remaining = ClientHelloBuilder.defaultGroups.filter { !$0.isFiniteField }
        var found: [NamedGroup] = []
        while !remaining.isEmpty {
            var b = ClientHelloBuilder(version: v, cipherSuites: suites, serverName: probes.target.sni)
            b.groups = remaining
            let outcome = await probes.probe(b.build(), stopAt: .serverHelloDone)
            if let why = probes.failure(outcome) { return GroupsResult(check: .error(why), groups: found.map(GroupResult.init)) }
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
}

struct DHParametersCheck: ScanCheck {
    static let step = ScanStep.dhParameters
    var protocols: [ProtocolResult]

    /// The DH primes of every TLS 1.0–1.2 version with DHE or DH_anon suites, per suite. The
    /// enumeration's probes read them already (`dhPrimes`); a suite whose prime was not read (its
    /// probe stopped early) is asked again by elimination over just those suites.
    func run(_ probes: ProbeSession) async -> [ProtocolVersion: [DHParameters]] {
        var out: [ProtocolVersion: [DHParameters]] = [:]
        for p in protocols where p.supported == true && p.version >= .sslv3 && p.version <= .tls12 {
            let dhSuites = p.cipherSuites.compactMap(\.suite).filter { $0.info?.usesEphemeralFiniteFieldDH == true }
            guard !dhSuites.isEmpty else { continue }
            var remaining = dhSuites.filter { s in probes.dhPrimes.withLockedValue { $0[p.version]?[s] == nil } }
            // A server that stalled after a DH ServerHello would stall again.
            while !remaining.isEmpty, !probes.dhStalled.withLockedValue({ $0 }) {
                let outcome = await probes.probe(probes.hello(p.version, suites: remaining), stopAt: .serverHelloOrDHParameters)
                guard case .accepted(let suite) = probes.classify(outcome, version: p.version, offered: remaining) else { break }
                remaining.removeAll { $0 == suite }
            }
            let primes = probes.dhPrimes.withLockedValue { $0[p.version] ?? [:] }
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
            let bits = ServerKeyExchange.bitLength(p)
            let name = wellKnownDHPrimes[Array(SHA256.hash(data: p)).hexString]?.name
            return DHParameters(primeBits: bits, wellKnownPrime: name, suites: suites[p] ?? [])
        }.sorted { $0.primeBits < $1.primeBits }
    }
}
