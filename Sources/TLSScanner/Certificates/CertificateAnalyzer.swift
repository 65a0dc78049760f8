import TLSReport
import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

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
        report.missingIssuer = trust.missingIssuer
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
