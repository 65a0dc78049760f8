import TLSReport
import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

extension CertificateAnalyzer {
    struct TrustVerdict {
        var trusted: Bool?
        var problems: [String]
        /// The issuer neither sent nor in a store (its sentence is the last of `problems`).
        var missingIssuer: String?
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
            if let weak = sent[0].tooSmallForModernClients {
                let dates = walk.compactMap { validityProblem(sent[$0].decoded, role: role(of: sent[$0], at: $0), now: options.now) }
                return TrustVerdict(trusted: false, problems: ["not trusted: \(weak)"] + dates)
            }
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

        return await untrusted(
            sent: sent, walk: walk, leaf: leaf, roots: roots, intermediates: intermediates,
            policyFailures: policyFailures, storeFailure: storeFailure, options: options)
    }

    /// Why a chain the verifier rejected is not trusted. swift-certificates gives no reason for a
    /// chain that does not reach a root (self-signed, untrusted root, missing intermediate): find
    /// out whether any path exists once validity and RFC 5280 constraints are set aside; if one
    /// does, the problem is on that path.
    static func untrusted(
        sent: [SentCertificate], walk: [Int], leaf: Certificate, roots: CertificateStore,
        intermediates: CertificateStore, policyFailures: [String], storeFailure: String?,
        options: CertificateCheckOptions
    ) async -> TrustVerdict {
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
            if let weak = unloadable.tooSmallForModernClients {
                problems.append("not trusted: \(weak)")
                return TrustVerdict(trusted: false, problems: problems)
            }
            problems.append("could not evaluate trust: \(unloadable.unloadableReason)")
            return TrustVerdict(trusted: nil, problems: problems)
        }
        let end = sent[walk.last!]
        let impostor = sent.first { $0.decoded.subject == end.decoded.issuer && !walk.contains($0.position - 1) }
        let stores =
            options.useSystemRoots
            ? "not in the system store or --ca-file" : "not in --ca-file; the system store is not used"
        if end.selfSigned {
            if walk.count == 1 {
                problems.append("self-signed certificate (not in any trust store)")
            } else {
                problems.append("untrusted root '\(end.decoded.subject)' (\(stores))")
            }
        } else if let impostor {
            problems.append(
                "certificate \(impostor.position) is named '\(impostor.decoded.subject)' like the issuer of '\(end.decoded.subject)' but did not sign it"
            )
        }
        problems += walk.compactMap {
            validityProblem(sent[$0].decoded, role: role(of: sent[$0], at: $0), now: options.now)
        }
        guard !end.selfSigned, impostor == nil else { return TrustVerdict(trusted: false, problems: problems) }
        guard end.issuerIsMissingIntermediate else {
            // The server sent what it has; the root above it is one no store holds.
            problems.append(
                end.decoded.isCA
                    ? "not trusted: unknown root '\(end.decoded.issuer)', the issuer of '\(end.decoded.subject)' (\(stores))"
                    : "not trusted: unknown issuer '\(end.decoded.issuer)' of '\(end.decoded.subject)': not sent, \(stores), and the certificate names no caIssuers URL (a private root, or an intermediate the server should send)"
            )
            return TrustVerdict(trusted: false, problems: problems)
        }
        // Last, so that a reader (the grader) can set it apart from the other reasons by position.
        problems.append(
            "intermediate missing: the server did not send the certificate that issued '\(end.decoded.subject)' and it is not in the trust store (issuer '\(end.decoded.issuer)')"
        )
        return TrustVerdict(trusted: false, problems: problems, missingIssuer: String(describing: end.decoded.issuer))
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
