import TLSWire

/// A chain the server serves, with where it was seen and what swift-certificates made of it.
public struct ServedChain: Codable, Sendable {
    /// The handshakes that got this chain, e.g. `TLSv1.2, RSA suites, SNI example.com`.
    public var servedFor: [String]
    /// The leaf's key type (`RSA`, `ECDSA`, …).
    public var keyType: CertificateKeyType?
    public var analysis: CertificateChainReport

    package init(servedFor: [String], keyType: CertificateKeyType? = nil, analysis: CertificateChainReport) {
        self.servedFor = servedFor
        self.keyType = keyType
        self.analysis = analysis
    }
}

public struct CertificatesResult: Codable, Sendable {
    public var check: CheckStatus
    /// Every distinct chain, the one a default client gets first.
    public var chains: [ServedChain]
    /// SCTs delivered in the TLS extension (RFC 6962 §3.3), on the best TLS 1.0–1.2 handshake.
    public var sctsInTLSExtension: Bool?

    package init(check: CheckStatus, chains: [ServedChain], sctsInTLSExtension: Bool? = nil) {
        self.check = check
        self.chains = chains
        self.sctsInTLSExtension = sctsInTLSExtension
    }
}
