import TLSReport
import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

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
        } else if trustEvaluated, let end = walk.last.map({ sent[$0] }), !end.selfSigned, end.issuerIsMissingIntermediate {
            // Only when no path was found: a chain may end below a root the client has. A chain
            // that ends at an intermediate is complete as sent (servers need not send the root).
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
