import Foundation
import NIOCore
import NIOSSL
import TLSReport
import TLSWire
import X509

extension ProbeSession {
    /// A chain as one handshake served it, and which handshake that was.
    struct CollectedChain: Sendable {
        var chain: [[UInt8]]
        var label: String
    }

    func sniLabel(_ s: String?) -> String { s.map { "SNI \($0)" } ?? "no SNI" }

    /// Every distinct chain, the default one (from the feature probe, or for a TLS 1.3-only server
    /// from our TLS 1.3 client) first, each analysed.
    func scanCertificates(_ protocols: [ProtocolResult], defaultChain: [[UInt8]]?, tls13Chain: [[UInt8]]?,
                          collected: [CollectedChain], caRoots: [Certificate]) async -> CertificatesResult {
        let classic = protocols.bestVersionBelowTLS13
        var seen: [(chain: [[UInt8]], servedFor: [String])] = []
        func record(_ chain: [[UInt8]], _ label: String) {
            guard !chain.isEmpty else { return }
            if let i = seen.firstIndex(where: { $0.chain == chain }) { seen[i].servedFor.append(label) } else { seen.append((chain, [label])) }
        }
        if let v = classic, let d = defaultChain {
            record(d, "\(v.name), default suites, \(sniLabel(target.sni))")
        } else if classic == nil, let d = tls13Chain {
            record(d, "TLSv1.3, default hello, \(sniLabel(target.sni))")
        }
        for c in collected { record(c.chain, c.label) }
        guard !seen.isEmpty else {
            return CertificatesResult(check: classic == nil && !protocols.contains(where: { $0.supported == true })
                                        ? .notApplicable("no protocol version is offered")
                                        : .error("no handshake returned a certificate"), chains: [])
        }
        let options = CertificateCheckOptions(
            // A client checks the name it asked for; only without SNI does the address count.
            hostname: target.sni, ipAddress: target.sni == nil && HostName.isIPAddressLiteral(target.host) ? target.host : nil,
            now: options.now ?? Date(), extraRoots: caRoots, useSystemRoots: true)
        var chains: [ServedChain] = []
        for s in seen {
            let analysis = await CertificateAnalyzer.analyze(chain: s.chain, options: options)
            chains.append(ServedChain(servedFor: s.servedFor, keyType: analysis.certificates.first?.keyType, analysis: analysis))
        }
        return CertificatesResult(check: .completed, chains: chains)
    }

    func fullHandshake(sni: String?) -> FullHandshake {
        FullHandshake(address: address, serverName: sni, timeout: options.readTimeout + options.connectTimeout)
    }

    /// A swift-nio-ssl handshake under the same connection caps as a probe, and counted as one.
    func runFullHandshake(sni: String?, minimum: TLSVersion, key: FullHandshake.ServerKey = .any, alpn: [String] = [],
                          httpRequest: String? = nil) async -> FullHandshake.Result {
        await connection { await self.fullHandshake(sni: sni).run(minimum: minimum, key: key, alpn: alpn, httpRequest: httpRequest) }
    }
}
