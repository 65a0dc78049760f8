import Foundation
import NIOSSL
import TLSWire

/// Every `NIOSSLContext` the gateway serves, built once per configuration (and again on reload).
///
/// For each certificate there is one strict context per minimum version the policies use, and one
/// legacy-permissive context (TLS 1.0+, CBC suites). The sniffer has already read the ClientHello,
/// so it picks the certificate itself: by server name, then ECDSA when the client can verify it,
/// else RSA — legacy clients often can only do RSA.
public final class TLSContextSet: Sendable {
    /// The public-key kind of a certificate.
    public enum KeyKind: String, Sendable { case ecdsa, rsa, other }

    /// Which context family a handshake uses.
    public enum Floor: Hashable, Sendable {
        /// The policy's minimum version is the floor.
        case strict(ProtocolVersion)
        /// TLS 1.0 and CBC suites, for legacy clients the policy still lets in.
        case legacy
        /// Client-check listeners: TLS 1.0–1.3 with the legacy suites and 3DES, HTTP/1.1.
        case check
    }

    struct Entry: Sendable {
        var hosts: [String]
        var isDefault: Bool
        var kind: KeyKind
        var contexts: [Floor: NIOSSLContext]
    }

    private let entries: [Entry]

    /// Loads every certificate and key and builds the contexts.
    /// - Parameters:
    ///   - floors: the minimum versions the policies use (strict contexts are built for each).
    ///   - alpn: ALPN protocols the server selects from (`http/1.1` for the HTTP proxy; empty for TCP).
    public init(configuration: GatewayConfiguration, alpn: [String]) throws(GatewayConfigError) {
        let file = configuration.sourcePath ?? "<inline>"
        var floors = Set([configuration.defaultPolicy.minimumVersion])
        if let noSNI = configuration.noSNIPolicy { floors.insert(noSNI.minimumVersion) }
        configuration.hostPolicies.values.forEach { floors.insert($0.minimumVersion) }
        var entries: [Entry] = []
        for (index, cert) in configuration.certificates.enumerated() {
            let key = "certificates[\(index)]"
            let chain: [NIOSSLCertificate]
            let privateKey: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMBytes(Array(try Data(contentsOf: URL(fileURLWithPath: cert.chainPath))))
            } catch {
                throw GatewayConfigError(file: file, key: "\(key).chain", problem: "\(cert.chainPath) is not a PEM certificate chain (\(error))")
            }
            guard let leaf = chain.first else {
                throw GatewayConfigError(file: file, key: "\(key).chain", problem: "\(cert.chainPath) holds no certificate")
            }
            do {
                privateKey = try NIOSSLPrivateKey(file: cert.keyPath, format: .pem)
            } catch {
                throw GatewayConfigError(file: file, key: "\(key).key", problem: "\(cert.keyPath) is not a PEM private key (\(error))")
            }
            let kind = Self.keyKind(leaf)
            var contexts: [Floor: NIOSSLContext] = [:]
            let check: [Floor] = configuration.listeners.contains(where: \.clientCheck) ? [.check] : []
            for floor in floors.map(Floor.strict) + [.legacy] + check {
                var tls = TLSConfiguration.makeServerConfiguration(
                    certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
                tls.maximumTLSVersion = .tlsv13
                switch floor {
                case .strict(let version):
                    // swift-nio-ssl defaults the floor to TLS 1.0: always set it (swift-notes).
                    tls.minimumTLSVersion = Self.nioVersion(version)
                    if let ciphers = configuration.tls.strictCiphers { tls.cipherSuites = ciphers }
                case .legacy:
                    tls.minimumTLSVersion = .tlsv1
                    tls.cipherSuites = configuration.tls.legacyCiphers
                case .check:
                    tls.minimumTLSVersion = .tlsv1
                    tls.cipherSuites = configuration.tls.checkCiphers
                }
                tls.applicationProtocols = floor == .check ? ["http/1.1"] : alpn
                do {
                    contexts[floor] = try NIOSSLContext(configuration: tls)
                } catch {
                    throw GatewayConfigError(
                        file: file, key: key,
                        problem: "cannot use \(cert.chainPath) with \(cert.keyPath) (does the key match the certificate? are the cipher strings valid?): \(error)")
                }
            }
            entries.append(Entry(hosts: cert.hosts, isDefault: cert.isDefault, kind: kind, contexts: contexts))
        }
        if !entries.contains(where: \.isDefault), !entries.isEmpty {
            entries[0].isDefault = true
        }
        self.entries = entries
    }

    /// The context for a handshake: certificate by server name and key kind, floor by decision.
    public func context(serverName: String?, prefersECDSA: Bool, floor: Floor) -> NIOSSLContext {
        var name = serverName?.lowercased()
        if name?.hasSuffix(".") == true { name?.removeLast() }
        var candidates = entries.filter { entry in
            guard let name else { return false }
            return entry.hosts.contains { Self.hostMatches(pattern: $0, name: name) }
        }
        if candidates.isEmpty { candidates = entries.filter(\.isDefault) }
        let preferred: KeyKind = prefersECDSA ? .ecdsa : .rsa
        let entry = candidates.first { $0.kind == preferred } ?? candidates.first { $0.kind == .rsa } ?? candidates[0]
        return entry.contexts[floor] ?? entry.contexts[.legacy]!
    }

    /// Whether `pattern` (`api.example.com` or `*.example.com`) covers `name` (RFC 6125 §6.4.3: one label).
    static func hostMatches(pattern: String, name: String) -> Bool {
        if pattern == name { return true }
        guard pattern.hasPrefix("*."), let dot = name.firstIndex(of: ".") else { return false }
        return name[dot...] == pattern.dropFirst()
    }

    /// Reads the SubjectPublicKeyInfo algorithm: id-ecPublicKey (RFC 5480 §2.1.1) or rsaEncryption (RFC 8017 App. C).
    static func keyKind(_ certificate: NIOSSLCertificate) -> KeyKind {
        guard let spki = try? certificate.extractPublicKey().toSPKIBytes() else { return .other }
        let head = Array(spki.prefix(32))
        let ecPublicKey: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
        let rsaEncryption: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
        func contains(_ needle: [UInt8]) -> Bool {
            guard head.count >= needle.count else { return false }
            return (0...(head.count - needle.count)).contains { Array(head[$0..<($0 + needle.count)]) == needle }
        }
        if contains(ecPublicKey) { return .ecdsa }
        if contains(rsaEncryption) { return .rsa }
        return .other
    }

    static func nioVersion(_ version: ProtocolVersion) -> TLSVersion {
        switch version {
        case .tls10: return .tlsv1
        case .tls11: return .tlsv11
        case .tls12: return .tlsv12
        default: return .tlsv13
        }
    }
}

extension ClientHello {
    /// Whether the client can verify an ECDSA certificate: TLS 1.3 with an ECDSA signature scheme
    /// (RFC 8446 §4.2.3), or an ECDHE_ECDSA suite (RFC 8422 §2) and no signature_algorithms that
    /// rule ECDSA out.
    public var canVerifyECDSA: Bool {
        let sigalgs = ((try? extensions.signatureAlgorithms()) ?? nil)?.map(\.rawValue)
        let ecdsaSchemes: Set<UInt16> = [0x0403, 0x0503, 0x0603, 0x0203]
        let sigalgsAllow = sigalgs.map { $0.contains(where: ecdsaSchemes.contains) } ?? true
        let offersTLS13 = ((try? offeredVersions()) ?? []).contains(.tls13)
        if offersTLS13 && sigalgsAllow { return true }
        let hasECDSASuite = cipherSuites.contains { $0.name.contains("_ECDSA_") }
        return hasECDSASuite && sigalgsAllow
    }
}
