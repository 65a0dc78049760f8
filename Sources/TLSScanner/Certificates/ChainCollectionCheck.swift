import TLSReport
import TLSWire

/// The chains a server serves, beyond the default one the feature probe got: RSA- and
/// ECDSA-authenticated suites, with and without SNI, each one connection (a TLS 1.3-only server:
/// one swift-nio-ssl handshake per key type and SNI). `ProbeSession.scanCertificates` analyses them.
struct ChainCollectionCheck: ScanCheck {
    static let step = ScanStep.certificates
    var protocols: [ProtocolResult]

    /// Collects the chains of RSA- and ECDSA-authenticated suites, with and without SNI, on the best
    /// TLS 1.0–1.2 version in clear; for a TLS 1.3-only server through swift-nio-ssl (our own TLS 1.3
    /// client's chain is added by `scanCertificates`). Needs nothing
    /// from the weakness checks, so it runs beside them.
    func run(_ probes: ProbeSession) async -> [ProbeSession.CollectedChain] {
        let target = probes.target
        let accepted = protocols.acceptedSuites
        let snis: [String?] = target.sni == nil ? [nil] : [target.sni, nil]
        var collected: [ProbeSession.CollectedChain] = []
        if let v = protocols.bestVersionBelowTLS13 {
            let suites = accepted(v)
            let rsa = suites.filter { $0.info?.authentication == .rsa }
            let ecdsa = suites.filter { $0.info?.authentication == .ecdsa }
            let variants: [(String, [CipherSuite], String?)] = snis.flatMap { sni in
                [("RSA suites", rsa, sni), ("ECDSA suites", ecdsa, sni)].filter { !$0.1.isEmpty }
            }
            let flights = await withTaskGroup(of: (Int, [[UInt8]]?).self) { group in
                for (i, variant) in variants.enumerated() {
                    group.addTask {
                        var b = ClientHelloBuilder(version: v, cipherSuites: variant.1, serverName: variant.2)
                        b.alpn = []
                        let outcome = await probes.probe(b.build(), stopAt: .serverHelloDone)
                        return (i, outcome.flight?.certificate?.certificates)
                    }
                }
                var out = [[[UInt8]]?](repeating: nil, count: variants.count)
                for await (i, c) in group { out[i] = c }
                return out
            }
            for (i, chain) in flights.enumerated() {
                if let chain { collected.append(ProbeSession.CollectedChain(chain: chain, label: "\(v.name), \(variants[i].0), \(probes.sniLabel(variants[i].2))")) }
            }
        } else if protocols.contains(where: { $0.version == .tls13 && $0.supported == true }) {
            // TLS 1.3 encrypts the Certificate message: a full handshake, once per key type.
            for sni in snis {
                for (key, label) in [(FullHandshake.ServerKey.rsa, "RSA"), (.ecdsa, "ECDSA")] {
                    let r = await probes.runFullHandshake(sni: sni, minimum: .tlsv13, key: key)
                    if r.error == nil { collected.append(ProbeSession.CollectedChain(chain: r.chain, label: "TLSv1.3, \(label) signature algorithms, \(probes.sniLabel(sni))")) }
                }
            }
        }
        return collected
    }
}
