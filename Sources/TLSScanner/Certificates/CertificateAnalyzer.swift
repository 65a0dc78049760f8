import TLSReport
import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// What to check a chain against.
public struct CertificateCheckOptions: Sendable {
    /// The name asked for (SNI); nil when none.
    public var hostname: String?
    /// The address asked for, when the target is an IP literal.
    public var ipAddress: String?
    /// The time validity is judged at.
    public var now: Date
    /// Roots trusted in addition to the system store (from `--ca-file`).
    public var extraRoots: [Certificate]
    /// Whether the system trust store is consulted.
    public var useSystemRoots: Bool

    /// Creates options; by default the system store, no extra roots, the current time and no name.
    public init(
        hostname: String? = nil,
        ipAddress: String? = nil,
        now: Date = Date(),
        extraRoots: [Certificate] = [],
        useSystemRoots: Bool = true
    ) {
        self.hostname = hostname
        self.ipAddress = ipAddress
        self.now = now
        self.extraRoots = extraRoots
        self.useSystemRoots = useSystemRoots
    }
}

/// Why a `--ca-file` could not be used; `description` is one line naming the file and the problem.
public struct CAFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The file does not exist, is a directory, or cannot be read.
        public static let unreadable = Code(name: "unreadable")
        /// The file holds no PEM CERTIFICATE block.
        public static let noCertificates = Code(name: "noCertificates")
        /// The PEM framing or base64 is broken.
        public static let invalidPEM = Code(name: "invalidPEM")
        /// A CERTIFICATE block does not hold a certificate swift-certificates can load.
        public static let invalidCertificate = Code(name: "invalidCertificate")
        /// The name of the code.
        public var description: String { name }
    }

    /// The kind of problem.
    public var code: Code
    /// The path as given.
    public var path: String
    /// What is wrong, one line.
    public var detail: String

    /// `CA file '<path>': <detail>`.
    public var description: String { "CA file '\(path)': \(detail)" }
}

/// Analyses the certificate chain a TLS server sent: trust, host name, and the chain's shape.
public enum CertificateAnalyzer {
    /// Parse PEM bundle for --ca-file; throws an error whose description names the file and the problem in one line.
    public static func loadCAFile(_ path: String) throws -> [Certificate] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CAFileError(code: .unreadable, path: path, detail: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw CAFileError(code: .unreadable, path: path, detail: "is a directory, not a PEM file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CAFileError(code: .unreadable, path: path, detail: "cannot read: \(oneLine(error))")
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: String(decoding: data, as: UTF8.self))
        } catch {
            throw CAFileError(code: .invalidPEM, path: path, detail: "not valid PEM: \(oneLine(error))")
        }
        let certificateDocuments = documents.filter { $0.discriminator == "CERTIFICATE" }
        guard !certificateDocuments.isEmpty else {
            let detail: String
            if documents.isEmpty, (try? Certificate(derEncoded: Array(data))) != nil {
                detail =
                    "holds a DER certificate, not PEM (convert it: openssl x509 -inform der -in \(path) -out ca.pem)"
            } else if documents.isEmpty {
                detail = "no PEM certificate found (expected '-----BEGIN CERTIFICATE-----' blocks)"
            } else {
                let found = Set(documents.map(\.discriminator)).sorted().joined(separator: ", ")
                detail = "no CERTIFICATE block (found \(found))"
            }
            throw CAFileError(code: .noCertificates, path: path, detail: detail)
        }
        return try certificateDocuments.enumerated().map { offset, document in
            do {
                return try Certificate(pemDocument: document)
            } catch {
                // Say why in the same terms as a served certificate (RSA < 2048, MD5, …) when it decodes.
                let detail =
                    (try? SentCertificate(position: offset + 1, der: document.derBytes))?.unloadableReason
                    ?? "certificate \(offset + 1) cannot be loaded: \(oneLine(error))"
                throw CAFileError(code: .invalidCertificate, path: path, detail: detail)
            }
        }
    }

    /// Analyse a chain as the server sent it (DER, leaf first).
    public static func analyze(chain der: [[UInt8]], options: CertificateCheckOptions) async -> CertificateChainReport {
        guard !der.isEmpty else {
            return CertificateChainReport(check: .error("the server sent no certificates"))
        }
        var sent: [SentCertificate] = []
        for (offset, bytes) in der.enumerated() {
            do {
                sent.append(try SentCertificate(position: offset + 1, der: bytes))
            } catch {
                return CertificateChainReport(
                    check: .error("certificate \(offset + 1) is not valid DER: \(oneLine(error))"),
                    certificates: sent.map { $0.summary(now: options.now) }
                )
            }
        }

        var report = CertificateChainReport(check: .completed, certificates: sent.map { $0.summary(now: options.now) })
        let walk = issuerWalk(sent)
        let trust = await evaluateTrust(sent: sent, walk: walk, options: options)
        report.trusted = trust.trusted
        report.trustProblems = trust.problems
        report.verifiedChain = trust.verifiedChain?.map { String(describing: $0.subject) }
        report.chainProblems = chainProblems(
            sent: sent, walk: walk, storePath: trust.storePath, trustEvaluated: trust.trusted != nil)
        if options.hostname != nil || options.ipAddress != nil {
            let name = await checkName(leaf: sent[0], options: options)
            report.hostnameMatches = name.matches
            report.hostnameProblem = name.problem
        }
        return report
    }
}

// MARK: - Trust

extension CertificateAnalyzer {
    struct TrustVerdict {
        var trusted: Bool?
        var problems: [String]
        /// The chain swift-certificates validated, when trusted.
        var verifiedChain: [Certificate]?
        /// A path to a trusted root ignoring validity dates and RFC 5280 constraints: tells which
        /// certificates a client would take from its store.
        var storePath: [Certificate]?
    }

    static func evaluateTrust(
        sent: [SentCertificate],
        walk: [Int],
        options: CertificateCheckOptions
    ) async -> TrustVerdict {
        guard case .success(let leaf) = sent[0].loaded else {
            return TrustVerdict(trusted: nil, problems: ["could not evaluate trust: \(sent[0].unloadableReason)"])
        }
        var roots = options.useSystemRoots ? CertificateStore.systemTrustRoots : CertificateStore()
        roots.append(contentsOf: options.extraRoots)
        let intermediates = CertificateStore(sent.dropFirst().compactMap { try? $0.loaded.get() })

        // Trust without the name: the name is checked on its own so that a trusted chain served for
        // the wrong name reads "trusted, name mismatch". SAN is marked handled because a critical SAN
        // (required when the subject is empty) would otherwise make the verifier reject the leaf.
        var trustVerifier = Verifier(rootCertificates: roots) {
            RFC5280Policy(fixedExpiryValidationTime: options.now)
            CriticalExtensionsHandledElsewhere(oids: [.X509ExtensionID.subjectAlternativeName])
        }
        // The diagnostics are opaque strings; the one worth surfacing is a system store that did not load.
        var storeFailure: String?
        let result = await trustVerifier.validate(leaf: leaf, intermediates: intermediates) { diagnostic in
            let text = String(describing: diagnostic)
            if text.hasPrefix("Loading system trust roots has failed") { storeFailure = oneLine(text) }
        }
        let policyFailures: [String]
        switch result {
        case .validCertificate(let chain):
            return TrustVerdict(trusted: true, problems: [], verifiedChain: Array(chain), storePath: Array(chain))
        case .couldNotValidate(let failures):
            policyFailures = failures.map { String(describing: $0.policyFailureReason) }
        }

        // swift-certificates gives no reason for a chain that does not reach a root (self-signed,
        // untrusted root, missing intermediate). Find out whether any path exists once validity and
        // RFC 5280 constraints are set aside; if one does, the problem is on that path.
        let critical = Set(sent.flatMap { $0.decoded.extensions.filter(\.critical).map(\.oid) })
        var pathVerifier = Verifier(rootCertificates: roots) {
            CriticalExtensionsHandledElsewhere(oids: Array(critical))
        }
        var problems: [String] = []
        if let storeFailure { problems.append("the system trust store could not be loaded: \(storeFailure)") }
        if case .validCertificate(let chain) = await pathVerifier.validate(leaf: leaf, intermediates: intermediates) {
            let path = Array(chain)
            problems += pathProblems(path, options: options)
            if problems.isEmpty {
                problems = Array(Set(policyFailures)).sorted().map { "rejected by RFC 5280 policy: \(oneLine($0))" }
            }
            if problems.isEmpty {
                problems = ["not trusted: swift-certificates rejected the chain without giving a reason"]
            }
            return TrustVerdict(trusted: false, problems: problems, storePath: path)
        }

        if let unloadable = walk.map({ sent[$0] }).first(where: { (try? $0.loaded.get()) == nil }) {
            problems.append("could not evaluate trust: \(unloadable.unloadableReason)")
            return TrustVerdict(trusted: nil, problems: problems)
        }
        let end = sent[walk.last!]
        if end.selfSigned {
            if walk.count == 1 {
                problems.append("self-signed certificate (not in any trust store)")
            } else {
                let stores =
                    options.useSystemRoots
                    ? "not in the system store or --ca-file" : "not in --ca-file; the system store is not used"
                problems.append("untrusted root '\(end.decoded.subject)' (\(stores))")
            }
        } else if let impostor = sent.first(where: {
            $0.decoded.subject == end.decoded.issuer && !walk.contains($0.position - 1)
        }) {
            problems.append(
                "certificate \(impostor.position) is named '\(impostor.decoded.subject)' like the issuer of '\(end.decoded.subject)' but did not sign it"
            )
        } else {
            problems.append(
                "intermediate missing: the server did not send the certificate that issued '\(end.decoded.subject)' and it is not in the trust store (issuer '\(end.decoded.issuer)')"
            )
        }
        problems += walk.compactMap {
            validityProblem(sent[$0].decoded, role: role(of: sent[$0], at: $0), now: options.now)
        }
        return TrustVerdict(trusted: false, problems: problems)
    }

    /// Problems on a path that reaches a trusted root: dates, non-CA issuers, critical extensions
    /// the verifier does not handle. Empty when the verifier's own reason has to be used.
    static func pathProblems(_ path: [Certificate], options: CertificateCheckOptions) -> [String] {
        var problems: [String] = []
        for (index, certificate) in path.enumerated() {
            let role: Role = index == 0 ? .leaf : (index == path.count - 1 ? .root : .intermediate)
            if let problem = validityProblem(certificate, role: role, now: options.now) {
                problems.append(problem)
            }
            let isCA: Bool
            if case .isCertificateAuthority = try? certificate.extensions.basicConstraints {
                isCA = true
            } else {
                isCA = false
            }
            if index > 0, !isCA {
                problems.append(
                    "'\(certificate.subject)' issued '\(path[index - 1].subject)' but is not a CA certificate (basicConstraints)"
                )
            } else if path.count == 1, !isCA {
                // RFC5280Policy refuses a trust anchor that is not a CA, even a leaf pinned on its own.
                problems.append(
                    "'\(certificate.subject)' is in the trust store but is not a CA certificate (basicConstraints), so it cannot be its own root"
                )
            }
            let handled = RFC5280Policy().verifyingCriticalExtensions + [.X509ExtensionID.subjectAlternativeName]
            for ext in certificate.extensions where ext.critical && !handled.contains(ext.oid) {
                problems.append(
                    "'\(certificate.subject)' has a critical extension the verifier does not support (\(ext.oid))")
            }
        }
        return problems
    }

    enum Role { case leaf, intermediate, root }

    static func role(of certificate: SentCertificate, at index: Int) -> Role {
        index == 0 ? .leaf : (certificate.selfSigned ? .root : .intermediate)
    }

    /// "expired 12 days ago (notAfter 2026-11-17)", prefixed with the certificate's role unless it is the leaf.
    static func validityProblem(_ certificate: Certificate, role: Role, now: Date) -> String? {
        validityProblem(
            subject: certificate.subject, notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter,
            role: role, now: now)
    }

    static func validityProblem(_ certificate: DecodedCertificate, role: Role, now: Date) -> String? {
        validityProblem(
            subject: certificate.subject, notBefore: certificate.notBefore, notAfter: certificate.notAfter, role: role,
            now: now)
    }

    static func validityProblem(subject: DistinguishedName, notBefore: Date, notAfter: Date, role: Role, now: Date)
        -> String?
    {
        let prefix: String
        switch role {
        case .leaf: prefix = ""
        case .intermediate: prefix = "intermediate '\(subject)' "
        case .root: prefix = "root '\(subject)' "
        }
        if now < notBefore {
            return "\(prefix)not valid until \(day(notBefore)) (notBefore)"
        }
        if now > notAfter {
            let days = Int((now.timeIntervalSince(notAfter) / 86_400).rounded(.down))
            let ago = days == 0 ? "today" : days == 1 ? "1 day ago" : "\(days) days ago"
            return "\(prefix)expired \(ago) (notAfter \(day(notAfter)))"
        }
        return nil
    }

    static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!).year().month().day())
    }
}

/// Declares critical extensions as handled and accepts every chain. Used where another check
/// (our own name check, or a path search that ignores policy) covers what the extension means.
struct CriticalExtensionsHandledElsewhere: VerifierPolicy {
    var oids: [ASN1ObjectIdentifier]
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { oids }
    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult { .meetsPolicy }
}

// MARK: - Chain shape

extension CertificateAnalyzer {
    /// Indices into `sent` from the leaf up, each the sent certificate that issued the one before
    /// (name match, and signature check where both certificates load). Stops at a self-signed
    /// certificate or where the issuer was not sent.
    static func issuerWalk(_ sent: [SentCertificate]) -> [Int] {
        var walk = [0]
        while !sent[walk.last!].selfSigned {
            let current = sent[walk.last!]
            let candidates = sent.indices.filter {
                !walk.contains($0) && sent[$0].decoded.subject == current.decoded.issuer
            }
            let signer =
                candidates.first { sent[$0].signed(current) == true }
                ?? candidates.first { sent[$0].signed(current) == nil }
            guard let signer else { break }
            walk.append(signer)
        }
        return walk
    }

    static func chainProblems(sent: [SentCertificate], walk: [Int], storePath: [Certificate]?, trustEvaluated: Bool)
        -> [String]
    {
        var problems: [String] = []
        if sent[0].summaryIsCA {
            problems.append("leaf is a CA certificate")
        }
        // RFC 8446 §4.4.2: each certificate should certify the one immediately preceding it.
        for index in walk.dropLast() where index + 1 < sent.count {
            let issuer = walk[walk.firstIndex(of: index)! + 1]
            if issuer != index + 1 {
                problems.append("wrong order: certificate \(index + 2) does not issue certificate \(index + 1)")
            }
        }
        let sentLoaded = Set(sent.compactMap { try? $0.loaded.get() })
        if let storePath {
            for certificate in storePath.dropFirst() where !sentLoaded.contains(certificate) {
                let selfIssued = certificate.subject == certificate.issuer
                if !selfIssued {
                    problems.append(
                        "incomplete chain: intermediate '\(certificate.subject)' was not sent (found in the trust store)"
                    )
                }
            }
        } else if trustEvaluated, let end = walk.last.map({ sent[$0] }), !end.selfSigned {
            // Only when no path was found: a chain may end below a root the client has.
            problems.append(
                "incomplete chain: the issuer of '\(end.decoded.subject)' ('\(end.decoded.issuer)') was not sent")
        }
        let storeCertificates = Set(storePath ?? [])
        var seen: [[UInt8]: Int] = [:]
        for (index, certificate) in sent.enumerated() {
            if let first = seen[certificate.decoded.der] {
                problems.append("duplicate certificate sent: certificate \(index + 1) repeats certificate \(first + 1)")
                continue
            }
            seen[certificate.decoded.der] = index
            guard index > 0 else { continue }
            let used = walk.contains(index) || (try? certificate.loaded.get()).map(storeCertificates.contains) == true
            if !used {
                problems.append("unrelated certificate sent: '\(certificate.decoded.subject)'")
            } else if certificate.selfSigned {
                problems.append("root certificate sent (unnecessary)")
            }
        }
        return problems
    }
}

// MARK: - Host name

extension CertificateAnalyzer {
    /// A key for the stand-in certificate the name check runs on; nothing is ever trusted with it.
    static let nameCheckKey = P256.Signing.PrivateKey()

    /// Runs swift-certificates' RFC 6125 matcher (`ServerIdentityPolicy`) on a stand-in carrying the
    /// leaf's subject and subjectAltName, so that leaves the library cannot load (RSA < 2048,
    /// MD5-signed) are matched by the same rules.
    static func checkName(leaf: SentCertificate, options: CertificateCheckOptions) async -> (
        matches: Bool, problem: String?
    ) {
        let asked = [options.hostname, options.ipAddress].compactMap { $0 }
        let askedText = asked.count == 2 ? "\(asked[0]) (\(asked[1]))" : asked[0]
        let decoded = leaf.decoded
        let sanExtension = decoded.extensions[oid: .X509ExtensionID.subjectAlternativeName]
        let served = decoded.dnsAndIPNames
        let result: CertificateValidationResult
        do {
            let standIn = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(nameCheckKey.publicKey),
                notValidBefore: Date(timeIntervalSince1970: 0),
                notValidAfter: Date(timeIntervalSince1970: 4_102_444_800),
                issuer: decoded.subject,
                subject: decoded.subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: Certificate.Extensions(sanExtension.map { [$0] } ?? []),
                issuerPrivateKey: Certificate.PrivateKey(nameCheckKey)
            )
            var verifier = Verifier(rootCertificates: CertificateStore([standIn])) {
                ServerIdentityPolicy(serverHostname: options.hostname, serverIP: options.ipAddress)
            }
            result = await verifier.validate(leaf: standIn, intermediates: CertificateStore())
        } catch {
            return (false, "name could not be checked: \(oneLine(error))")
        }
        if case .couldNotValidate(let failures) = result {
            if served.isEmpty, let cn = decoded.commonName {
                return (
                    false,
                    "name mismatch: served for \(cn) (common name only, no subjectAltName), asked for \(askedText)"
                )
            }
            if served.isEmpty {
                let reason = failures.first.map { String(describing: $0.policyFailureReason) } ?? ""
                if reason.hasPrefix("Error parsing SAN") {
                    return (
                        false, "name mismatch: the subjectAltName extension cannot be parsed, asked for \(askedText)"
                    )
                }
                return (
                    false,
                    "name mismatch: the certificate names no host (no subjectAltName DNS or IP entry, no common name), asked for \(askedText)"
                )
            }
            return (false, "name mismatch: served for \(served.joined(separator: ", ")), asked for \(askedText)")
        }
        if served.isEmpty {
            return (true, "matched the common name only: the certificate has no subjectAltName, which browsers require")
        }
        return (true, nil)
    }
}

// MARK: - One sent certificate

/// A certificate as sent: decoded for the summary, and loaded by swift-certificates when it can be.
struct SentCertificate {
    /// 1-based, as in the messages.
    var position: Int
    var decoded: DecodedCertificate
    /// swift-certificates refuses RSA keys under 2048 bits, MD5 and ECDSA-SHA1 signatures, DSA keys
    /// and uncommon curves: such a certificate is summarised but cannot take part in verification.
    var loaded: Result<Certificate, any Error>
    /// Subject equals issuer and the certificate's own key verifies its signature (assumed when it
    /// cannot be checked).
    var selfSigned: Bool

    init(position: Int, der: [UInt8]) throws {
        self.position = position
        self.decoded = try DecodedCertificate(der: der)
        self.loaded = Result { try Certificate(derEncoded: der) }
        self.selfSigned = false
        self.selfSigned = decoded.subject == decoded.issuer && signed(self) != false
    }

    /// Whether this certificate's key verifies `other`'s signature; nil when either cannot be loaded.
    func signed(_ other: SentCertificate) -> Bool? {
        guard case .success(let issuer) = loaded, case .success(let subject) = other.loaded else { return nil }
        return issuer.publicKey.isValidSignature(subject.signature, for: subject)
    }

    var summaryIsCA: Bool { decoded.isCA }

    /// Why swift-certificates could not load it, for "could not evaluate trust: …".
    var unloadableReason: String {
        let name = "certificate \(position) ('\(decoded.subject)')"
        let key = decoded.keyInfo
        if key.type == "RSA", key.bits < 2048 {
            return "\(name) has a \(key.bits)-bit RSA key, which swift-certificates cannot verify (minimum 2048)"
        }
        if case .failure(let error as CertificateError) = loaded, error.code == .unsupportedSignatureAlgorithm {
            return "\(name) is signed with \(decoded.signatureAlgorithmName), which swift-certificates does not support"
        }
        if case .failure(let error as CertificateError) = loaded, error.code == .unsupportedPublicKeyAlgorithm {
            return "\(name) has a \(key.curve ?? key.type) key, which swift-certificates does not support"
        }
        if case .failure(let error) = loaded {
            return "\(name) cannot be loaded by swift-certificates: \(oneLine(error))"
        }
        return "\(name) cannot be loaded by swift-certificates"
    }

    func summary(now: Date) -> CertificateSummary {
        let d = decoded
        let key = d.keyInfo
        let signatureName = d.signatureAlgorithmName
        let weakHash = DecodedCertificate.weakSignatureHash[d.signatureAlgorithm]
        var weak = false
        var weakReason: String?
        if let weakHash {
            if selfSigned && d.isCA {
                weakReason =
                    "\(weakHash) signature on a self-signed root: not relied on (a root is trusted for its key, not its signature)"
            } else {
                weak = true
                weakReason = "\(weakHash) signature: collisions are practical, clients reject it"
            }
        }
        let remaining = d.notAfter.timeIntervalSince(now)
        return CertificateSummary(
            subject: String(describing: d.subject),
            issuer: String(describing: d.issuer),
            serialNumber: hex(d.serial.drop { $0 == 0 }.isEmpty ? [0] : Array(d.serial.drop { $0 == 0 })),
            notBefore: d.notBefore,
            notAfter: d.notAfter,
            daysLeft: Int((remaining / 86_400).rounded(.down)),
            expired: now > d.notAfter,
            notYetValid: now < d.notBefore,
            keyType: key.type,
            keyBits: key.bits,
            curve: key.curve,
            signatureAlgorithm: signatureName,
            weakSignature: weak,
            weakSignatureReason: weakReason,
            subjectAlternativeNames: d.dnsAndIPNames,
            isCA: d.isCA,
            selfIssued: d.subject == d.issuer,
            sha256Fingerprint: hex(Array(SHA256.hash(data: d.der))),
            ocspURLs: d.accessURLs(.ocspServer),
            caIssuersURLs: d.accessURLs(.issuingCA),
            mustStaple: d.mustStaple,
            hasEmbeddedSCTs: d.extensions[oid: DecodedCertificate.embeddedSCTs] != nil,
            keyUsage: d.keyUsageNames,
            extendedKeyUsage: d.extendedKeyUsageNames
        )
    }
}

// MARK: - Decoding

/// The fields of an X.509 certificate, decoded with SwiftASN1 so that nothing about the key or the
/// signature algorithm can stop it (RFC 5280 §4.1).
struct DecodedCertificate {
    var der: [UInt8]
    var serial: ArraySlice<UInt8>
    var signatureAlgorithm: ASN1ObjectIdentifier
    var issuer: DistinguishedName
    var notBefore: Date
    var notAfter: Date
    var subject: DistinguishedName
    var publicKeyAlgorithm: ASN1ObjectIdentifier
    var publicKeyParameter: ASN1ObjectIdentifier?
    var publicKey: ArraySlice<UInt8>
    var extensions: Certificate.Extensions

    init(der: [UInt8]) throws {
        self.der = der
        let root = try DER.parse(der)
        // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
        let (tbsNode, outerAlgorithm) = try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbs = nodes.next(), let algorithm = nodes.next(), let signature = nodes.next() else {
                throw ASN1Error.invalidASN1Object(
                    reason: "a certificate needs tbsCertificate, signatureAlgorithm and signatureValue")
            }
            _ = try ASN1BitString(derEncoded: signature)
            return (tbs, try Self.algorithm(algorithm).oid)
        }
        self.signatureAlgorithm = outerAlgorithm
        var fields:
            (
                serial: ArraySlice<UInt8>, issuer: DistinguishedName, notBefore: Date, notAfter: Date,
                subject: DistinguishedName,
                key: (oid: ASN1ObjectIdentifier, parameter: ASN1ObjectIdentifier?, bits: ArraySlice<UInt8>),
                extensions: [Certificate.Extension]
            )
        // TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature, issuer, validity, subject,
        //   subjectPublicKeyInfo, [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions }
        fields = try DER.sequence(tbsNode, identifier: .sequence) { nodes in
            let version = try DER.decodeDefaultExplicitlyTagged(
                &nodes, tagNumber: 0, tagClass: .contextSpecific, defaultValue: Int(0))
            guard (0...2).contains(version) else {
                throw ASN1Error.invalidASN1Object(reason: "X.509 version \(version + 1) does not exist")
            }
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            guard let algorithmNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "no signature algorithm")
            }
            _ = try Self.algorithm(algorithmNode)
            let issuer = try Self.name(nodes.next())
            guard let validityNode = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no validity") }
            let validity = try DER.sequence(validityNode, identifier: .sequence) { times in
                (try Self.time(times.next()), try Self.time(times.next()))
            }
            let subject = try Self.name(nodes.next())
            guard let spkiNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "no subjectPublicKeyInfo")
            }
            let key = try DER.sequence(spkiNode, identifier: .sequence) { spki in
                guard let algorithmNode = spki.next() else {
                    throw ASN1Error.invalidASN1Object(reason: "no key algorithm")
                }
                let algorithm = try Self.algorithm(algorithmNode)
                let bits = try ASN1BitString(derEncoded: &spki)
                return (oid: algorithm.oid, parameter: algorithm.parameter, bits: bits.bytes)
            }
            var extensions: [Certificate.Extension] = []
            while let node = nodes.next() {
                // The unique identifiers ([1], [2]) are skipped.
                if node.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific) {
                    extensions = try DER.explicitlyTagged(node, tagNumber: 3, tagClass: .contextSpecific) {
                        try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
                    }
                }
            }
            return (serial, issuer, validity.0, validity.1, subject, key, extensions)
        }
        self.serial = fields.serial
        self.issuer = fields.issuer
        self.notBefore = fields.notBefore
        self.notAfter = fields.notAfter
        self.subject = fields.subject
        self.publicKeyAlgorithm = fields.key.oid
        self.publicKeyParameter = fields.key.parameter
        self.publicKey = fields.key.bits
        self.extensions = try Certificate.Extensions(fields.extensions)
    }

    /// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }; the parameter
    /// is kept when it is an OID (an EC named curve).
    static func algorithm(_ node: ASN1Node) throws -> (oid: ASN1ObjectIdentifier, parameter: ASN1ObjectIdentifier?) {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let parameter = nodes.next().flatMap { try? ASN1ObjectIdentifier(derEncoded: $0) }
            return (oid, parameter)
        }
    }

    /// Name ::= SEQUENCE OF RelativeDistinguishedName. Decoded from the node, as the iterator
    /// overload picks swift-certificates' deprecated implicit-tagging conformance.
    static func name(_ node: ASN1Node?) throws -> DistinguishedName {
        guard let node else { throw ASN1Error.invalidASN1Object(reason: "a name is missing") }
        return try DistinguishedName(derEncoded: node)
    }

    /// Time ::= CHOICE { utcTime, generalTime }
    static func time(_ node: ASN1Node?) throws -> Date {
        guard let node else { throw ASN1Error.invalidASN1Object(reason: "validity needs two times") }
        let c: (year: Int, month: Int, day: Int, hours: Int, minutes: Int, seconds: Int)
        if node.identifier == .utcTime {
            let t = try UTCTime(derEncoded: node)
            c = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        } else {
            let t = try GeneralizedTime(derEncoded: node)
            c = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        }
        // Days from the civil date (Howard Hinnant's algorithm), proleptic Gregorian, UTC.
        let y = c.month <= 2 ? c.year - 1 : c.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((c.month + 9) % 12) + 2) / 5 + c.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + c.hours * 3_600 + c.minutes * 60 + c.seconds))
    }

    // MARK: Key and signature

    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 1]
    static let rsassaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 10]
    static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10_045, 2, 1]
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
    static let ed448: ASN1ObjectIdentifier = [1, 3, 101, 113]
    static let tlsFeature: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 24]
    static let embeddedSCTs: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 11_129, 2, 4, 2]

    static let curves: [ASN1ObjectIdentifier: (name: String, bits: Int)] = [
        [1, 2, 840, 10_045, 3, 1, 7]: ("P-256", 256),
        [1, 3, 132, 0, 34]: ("P-384", 384),
        [1, 3, 132, 0, 35]: ("P-521", 521),
        [1, 3, 132, 0, 10]: ("secp256k1", 256),
        [1, 2, 840, 10_045, 3, 1, 1]: ("P-192", 192),
        [1, 3, 132, 0, 33]: ("P-224", 224),
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 7]: ("brainpoolP256r1", 256),
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 11]: ("brainpoolP384r1", 384),
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 13]: ("brainpoolP512r1", 512),
    ]

    static let signatureAlgorithms: [ASN1ObjectIdentifier: String] = [
        [1, 2, 840, 113_549, 1, 1, 2]: "md2WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 4]: "md5WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 5]: "sha1WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 14]: "sha224WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 11]: "sha256WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 12]: "sha384WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 13]: "sha512WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 10]: "rsassaPss",
        [1, 2, 840, 10_045, 4, 1]: "ecdsa-with-SHA1",
        [1, 2, 840, 10_045, 4, 3, 1]: "ecdsa-with-SHA224",
        [1, 2, 840, 10_045, 4, 3, 2]: "ecdsa-with-SHA256",
        [1, 2, 840, 10_045, 4, 3, 3]: "ecdsa-with-SHA384",
        [1, 2, 840, 10_045, 4, 3, 4]: "ecdsa-with-SHA512",
        [1, 3, 101, 112]: "Ed25519",
        [1, 3, 101, 113]: "Ed448",
        [1, 2, 840, 10_040, 4, 3]: "dsa-with-SHA1",
        [2, 16, 840, 1, 101, 3, 4, 3, 2]: "dsa-with-SHA256",
    ]

    /// Signature algorithms whose hash is broken, by the hash's name.
    static let weakSignatureHash: [ASN1ObjectIdentifier: String] = [
        [1, 2, 840, 113_549, 1, 1, 2]: "MD2",
        [1, 2, 840, 113_549, 1, 1, 4]: "MD5",
        [1, 2, 840, 113_549, 1, 1, 5]: "SHA-1",
        [1, 2, 840, 10_045, 4, 1]: "SHA-1",
        [1, 2, 840, 10_040, 4, 3]: "SHA-1",
    ]

    var signatureAlgorithmName: String {
        Self.signatureAlgorithms[signatureAlgorithm] ?? signatureAlgorithm.description
    }

    /// The RSA key's modulus and public exponent, big-endian without leading zeros; nil for
    /// other keys. RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1)
    var rsaPublicKey: (modulus: [UInt8], exponent: [UInt8])? {
        guard publicKeyAlgorithm == Self.rsaEncryption || publicKeyAlgorithm == Self.rsassaPSS else { return nil }
        return try? DER.sequence(DER.parse(publicKey), identifier: .sequence) { nodes in
            let modulus = try ArraySlice<UInt8>(derEncoded: &nodes)
            let exponent = try ArraySlice<UInt8>(derEncoded: &nodes)
            return (Array(modulus.drop { $0 == 0 }), Array(exponent.drop { $0 == 0 }))
        }
    }

    var keyInfo: (type: String, bits: Int, curve: String?) {
        switch publicKeyAlgorithm {
        case Self.rsaEncryption, Self.rsassaPSS:
            let significant = rsaPublicKey?.modulus ?? []
            let bits = significant.first.map { (significant.count - 1) * 8 + (8 - $0.leadingZeroBitCount) } ?? 0
            return ("RSA", bits, nil)
        case Self.ecPublicKey:
            if let parameter = publicKeyParameter, let curve = Self.curves[parameter] {
                return ("ECDSA", curve.bits, curve.name)
            }
            // An unnamed curve: the uncompressed point is 04 || X || Y.
            return ("ECDSA", max(0, publicKey.count - 1) / 2 * 8, publicKeyParameter?.description)
        case Self.ed25519:
            return ("Ed25519", 256, nil)
        case Self.ed448:
            return ("other", 448, nil)
        default:
            return ("other", publicKey.count * 8, nil)
        }
    }

    // MARK: Extensions

    var isCA: Bool {
        if case .isCertificateAuthority = try? extensions.basicConstraints { return true }
        return false
    }

    var dnsAndIPNames: [String] {
        guard let names = try? extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            switch name {
            case .dnsName(let dns): return dns
            case .ipAddress(let octets): return Self.formatIP(Array(octets.bytes))
            default: return nil
            }
        }
    }

    /// The most specific common name, which is the last one (RFC 4514 order is reversed).
    var commonName: String? {
        subject.flatMap { $0 }.last(where: { $0.type == .RDNAttributeType.commonName }).map {
            String(describing: $0.value)
        }
    }

    func accessURLs(_ method: AuthorityInformationAccess.AccessDescription.AccessMethod) -> [String] {
        guard let access = try? extensions.authorityInformationAccess else { return [] }
        return access.compactMap { description in
            guard description.method == method, case .uniformResourceIdentifier(let url) = description.location else {
                return nil
            }
            return url
        }
    }

    /// TLS Feature (RFC 7633 §4): Features ::= SEQUENCE OF INTEGER; 5 is status_request.
    var mustStaple: Bool {
        guard let ext = extensions[oid: Self.tlsFeature],
            let features = try? DER.sequence(of: Int.self, identifier: .sequence, rootNode: DER.parse(ext.value))
        else { return false }
        return features.contains(5)
    }

    var keyUsageNames: [String]? {
        guard let usage = try? extensions.keyUsage else { return nil }
        let bits: [(Bool, String)] = [
            (usage.digitalSignature, "digitalSignature"), (usage.nonRepudiation, "nonRepudiation"),
            (usage.keyEncipherment, "keyEncipherment"), (usage.dataEncipherment, "dataEncipherment"),
            (usage.keyAgreement, "keyAgreement"), (usage.keyCertSign, "keyCertSign"), (usage.cRLSign, "cRLSign"),
            (usage.encipherOnly, "encipherOnly"), (usage.decipherOnly, "decipherOnly"),
        ]
        return bits.filter(\.0).map(\.1)
    }

    static let extendedKeyUsageNames: [ASN1ObjectIdentifier: String] = [
        .ExtendedKeyUsage.serverAuth: "serverAuth",
        .ExtendedKeyUsage.clientAuth: "clientAuth",
        .ExtendedKeyUsage.codeSigning: "codeSigning",
        .ExtendedKeyUsage.emailProtection: "emailProtection",
        .ExtendedKeyUsage.timeStamping: "timeStamping",
        .ExtendedKeyUsage.ocspSigning: "OCSPSigning",
        .ExtendedKeyUsage.any: "anyExtendedKeyUsage",
        .ExtendedKeyUsage.certificateTransparency: "certificateTransparency",
    ]

    var extendedKeyUsageNames: [String]? {
        guard let usages = try? extensions.extendedKeyUsage else { return nil }
        return usages.map { usage in
            let oid = ASN1ObjectIdentifier(usage)
            return Self.extendedKeyUsageNames[oid] ?? oid.description
        }
    }

    /// Dotted IPv4, or IPv6 with the longest run of zero groups shortened (RFC 5952 §4).
    static func formatIP(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return hex(bytes) }
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (index, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return text.joined(separator: ":") }
        let head = text[..<best.start].joined(separator: ":")
        let tail = text[(best.start + best.length)...].joined(separator: ":")
        return "\(head)::\(tail)"
    }
}

// MARK: - Helpers

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// An error or diagnostic as one line, without the type prefix and source location that swift-asn1
/// and swift-certificates put in their descriptions ("ASN1Error.truncatedASN1Field:  SwiftASN1/DER.swift:12").
func oneLine(_ value: Any) -> String {
    var text = String(describing: value).split(whereSeparator: \.isNewline).joined(separator: " ")
    if let range = text.range(of: #" ?[A-Za-z0-9_]+/[^ ]+\.swift:[0-9]+$"#, options: .regularExpression) {
        text.removeSubrange(range)
    }
    if let range = text.range(of: #"^(ASN1Error|CertificateError)\."#, options: .regularExpression) {
        text.removeSubrange(range)
    }
    while text.hasSuffix(" ") || text.hasSuffix(":") { text.removeLast() }
    return text
}
