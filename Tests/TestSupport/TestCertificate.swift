// Test support: self-signed certificates made with the openssl CLI, once per process and kind.

import Foundation

/// A self-signed certificate + unencrypted private key (PEM files) in the per-process scratch directory,
/// made with the openssl CLI on first use and cached for the rest of the process.
struct TestCertificate: Sendable, Hashable {
    let certPath: String
    let keyPath: String

    /// An RSA key of `bits` bits. Keys below 2048 bits need `@SECLEVEL=0`/`1` on the s_server side.
    static func rsa(bits: Int = 2048, commonName: String = "localhost") throws -> TestCertificate {
        try make(kind: "rsa\(bits)", commonName: commonName, keyArguments: ["-newkey", "rsa:\(bits)"])
    }

    /// An EC key on `curve` (an OpenSSL curve name: prime256v1, secp384r1, secp521r1, …).
    static func ecdsa(curve: String = "prime256v1", commonName: String = "localhost") throws -> TestCertificate {
        try make(kind: "ec-\(curve)", commonName: commonName,
                 keyArguments: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:\(curve)"])
    }

    /// An Ed25519 key (TLS 1.2 with ECDSA suites, or TLS 1.3).
    static func ed25519(commonName: String = "localhost") throws -> TestCertificate {
        try make(kind: "ed25519", commonName: commonName, keyArguments: ["-newkey", "ed25519"])
    }

    /// The certificate file's PEM text.
    var certificatePEM: String { (try? String(contentsOfFile: certPath, encoding: .utf8)) ?? "" }

    // MARK: - Cache

    private static let cache = TestLocked([String: TestCertificate]())

    private static func make(kind: String, commonName: String, keyArguments: [String]) throws -> TestCertificate {
        // Generation happens under the lock: concurrent first users of one kind wait for a single run.
        try cache.withLock { cache in
            let key = "\(kind)|\(commonName)"
            if let cached = cache[key] { return cached }
            try TestTools.requireOpenSSL()
            let dir = try TestScratch.makeDirectory(prefix: "cert-\(kind)")
            let certificate = TestCertificate(
                certPath: dir.appendingPathComponent("cert.pem").path,
                keyPath: dir.appendingPathComponent("key.pem").path)
            var arguments = ["req", "-x509", "-batch", "-nodes", "-days", "3650"] + keyArguments + [
                "-keyout", certificate.keyPath, "-out", certificate.certPath,
                "-subj", "/CN=\(commonName.replacingOccurrences(of: "/", with: "\\/"))",
            ]
            var altNames = ["IP:127.0.0.1"]
            if commonName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "*" }), !commonName.isEmpty {
                altNames.insert("DNS:\(commonName)", at: 0)
            }
            arguments += ["-addext", "subjectAltName=\(altNames.joined(separator: ","))"]
            let result = try TestProcess.run(TestTools.opensslPath, arguments, timeout: 120)
            guard result.succeeded,
                  FileManager.default.fileExists(atPath: certificate.certPath),
                  FileManager.default.fileExists(atPath: certificate.keyPath)
            else {
                throw TestSupportError.processFailed(
                    command: "openssl " + arguments.joined(separator: " "), status: result.status,
                    output: result.stderr)
            }
            cache[key] = certificate
            return certificate
        }
    }
}
