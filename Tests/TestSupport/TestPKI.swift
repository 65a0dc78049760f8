import Foundation
import X509

/// Real certificates made by the openssl CLI into a temporary directory, once per test run.
///
/// Every certificate is made from a CSR with `openssl x509 -req -extfile`, so that its extensions
/// are exactly the ones listed here (no defaults from openssl.cnf).
final class TestPKI: Sendable {
    /// The fixtures, made on first use. A failure is reported by every test that needs them.
    static let shared: Result<TestPKI, any Error> = Result { try TestPKI() }

    let directory: URL

    // The main chain: RSA root → RSA intermediate → P-256 leaf for localhost and 127.0.0.1.
    let root: [UInt8]
    let intermediate: [UInt8]
    let leaf: [UInt8]
    // Leaves signed by the intermediate.
    /// RSA-2048 `CN=localhost`, from the intermediate: the second certificate of a dual-certificate server.
    let rsaLeaf: [UInt8]
    /// Issued by the root itself, without Authority Information Access: a private CA's leaf.
    let privateLeaf: [UInt8]
    let rsa1024Leaf: [UInt8]
    let sha1Leaf: [UInt8]
    let md5Leaf: [UInt8]
    let mustStapleLeaf: [UInt8]
    let wildcardLeaf: [UInt8]
    // Self-signed certificates.
    let selfSignedLeaf: [UInt8]
    let caLeaf: [UInt8]
    let p384Leaf: [UInt8]
    let ed25519Leaf: [UInt8]
    let sha1Root: [UInt8]
    let unrelated: [UInt8]
    /// Named like the intermediate, with another key.
    let impostorIntermediate: [UInt8]
    /// Signed by `leaf`, which is not a CA.
    let signedByLeaf: [UInt8]
    /// A one-day intermediate (signed by the root) and a 90-day leaf under it.
    let shortIntermediate: [UInt8]
    let leafUnderShortIntermediate: [UInt8]

    static let rootSubject = "/O=tlsguard tests/CN=Test Root CA"
    static let intermediateSubject = "/O=tlsguard tests/CN=Test Intermediate CA"

    static let caExtensions = """
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        """
    static func leafExtensions(san: String = "DNS:localhost,IP:127.0.0.1", extra: String = "", aia: Bool = true) -> String {
        """
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = \(san)
        \(aia ? "authorityInfoAccess = OCSP;URI:http://ocsp.test.invalid/,caIssuers;URI:http://ca.test.invalid/intermediate.der" : "")
        \(extra)
        """
    }

    private init() throws {
        // A static is never deinitialised: sweep what earlier runs left instead.
        let temporary = FileManager.default.temporaryDirectory
        let prefix = "tlsguard-cert-fixtures-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix(prefix) {
            let old = temporary.appendingPathComponent(name)
            let modified =
                (try? FileManager.default.attributesOfItem(atPath: old.path)[.modificationDate] as? Date) ?? Date()
            if Date().timeIntervalSince(modified) > 3_600 { try? FileManager.default.removeItem(at: old) }
        }
        directory = temporary.appendingPathComponent(prefix + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let rsa = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        let p256 = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]

        root = try Self.make(
            "root", in: directory, subject: Self.rootSubject, key: rsa, issuer: nil, extensions: Self.caExtensions,
            days: 3650)
        intermediate = try Self.make(
            "intermediate", in: directory, subject: Self.intermediateSubject, key: rsa, issuer: "root",
            extensions: Self.caExtensions + "\nauthorityKeyIdentifier = keyid", days: 1825
        )
        leaf = try Self.make(
            "leaf", in: directory, subject: "/CN=localhost", key: p256, issuer: "intermediate",
            extensions: Self.leafExtensions())
        rsaLeaf = try Self.make(
            "rsaleaf", in: directory, subject: "/CN=localhost", key: rsa, issuer: "intermediate",
            extensions: Self.leafExtensions())
        privateLeaf = try Self.make(
            "private", in: directory, subject: "/CN=localhost", key: p256, issuer: "root",
            extensions: Self.leafExtensions(aia: false))
        rsa1024Leaf = try Self.make(
            "rsa1024", in: directory, subject: "/CN=weak.localhost",
            key: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            issuer: "intermediate", extensions: Self.leafExtensions()
        )
        sha1Leaf = try Self.make(
            "sha1", in: directory, subject: "/CN=sha1.localhost", key: p256, issuer: "intermediate",
            extensions: Self.leafExtensions(), digest: "-sha1"
        )
        md5Leaf = try Self.make(
            "md5", in: directory, subject: "/CN=md5.localhost", key: p256, issuer: "intermediate",
            extensions: Self.leafExtensions(), digest: "-md5"
        )
        mustStapleLeaf = try Self.make(
            "staple", in: directory, subject: "/CN=staple.localhost", key: p256, issuer: "intermediate",
            extensions: Self.leafExtensions(extra: "tlsfeature = status_request")
        )
        wildcardLeaf = try Self.make(
            "wildcard", in: directory, subject: "/CN=a.example", key: p256, issuer: "intermediate",
            extensions: Self.leafExtensions(san: "DNS:a.example,DNS:*.b.example,IP:::1")
        )
        selfSignedLeaf = try Self.make(
            "selfsigned", in: directory, subject: "/CN=localhost", key: p256, issuer: nil,
            extensions: Self.leafExtensions())
        caLeaf = try Self.make(
            "caleaf", in: directory, subject: "/CN=localhost", key: p256, issuer: nil,
            extensions: Self.caExtensions + "\nsubjectAltName = DNS:localhost"
        )
        p384Leaf = try Self.make(
            "p384", in: directory, subject: "/CN=p384.localhost",
            key: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            issuer: nil, extensions: Self.leafExtensions(), digest: "-sha384"
        )
        ed25519Leaf = try Self.make(
            "ed25519", in: directory, subject: "/CN=ed.localhost", key: ["-algorithm", "ED25519"], issuer: nil,
            extensions: Self.leafExtensions(), digest: nil
        )
        // The root's own key, self-signed again with SHA-1 under another name.
        sha1Root = try Self.make(
            "sha1root", in: directory, subject: "/CN=Legacy SHA-1 Root", key: [], issuer: nil,
            extensions: Self.caExtensions,
            digest: "-sha1", reuseKey: "root"
        )
        unrelated = try Self.make(
            "unrelated", in: directory, subject: "/CN=Unrelated", key: p256, issuer: nil, extensions: Self.caExtensions)
        impostorIntermediate = try Self.make(
            "impostor", in: directory, subject: Self.intermediateSubject, key: p256, issuer: nil,
            extensions: Self.caExtensions
        )
        signedByLeaf = try Self.make(
            "byleaf", in: directory, subject: "/CN=child.localhost", key: p256, issuer: "leaf",
            extensions: Self.leafExtensions(san: "DNS:child.localhost")
        )
        shortIntermediate = try Self.make(
            "short", in: directory, subject: "/O=tlsguard tests/CN=Short-lived Intermediate CA", key: p256,
            issuer: "root",
            extensions: Self.caExtensions, days: 1
        )
        leafUnderShortIntermediate = try Self.make(
            "undershort", in: directory, subject: "/CN=localhost", key: p256, issuer: "short",
            extensions: Self.leafExtensions()
        )
    }

    /// The path of a file made here, e.g. `path("root.pem")`.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Parses with swift-certificates, for `extraRoots`.
    static func certificate(_ der: [UInt8]) throws -> Certificate { try Certificate(derEncoded: der) }

    /// Makes `<name>.key`, `<name>.pem` and `<name>.der`; self-signed when `issuer` is nil.
    private static func make(
        _ name: String,
        in directory: URL,
        subject: String,
        key: [String],
        issuer: String?,
        extensions: String,
        days: Int = 90,
        digest: String? = "-sha256",
        reuseKey: String? = nil
    ) throws -> [UInt8] {
        let keyFile = "\(reuseKey ?? name).key"
        if reuseKey == nil {
            try openssl(["genpkey"] + key + ["-out", keyFile], in: directory)
        }
        try openssl(["req", "-new", "-key", keyFile, "-subj", subject, "-out", "\(name).csr"], in: directory)
        try extensions.write(to: directory.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
        var arguments = [
            "x509", "-req", "-in", "\(name).csr", "-days", String(days), "-extfile", "\(name).ext", "-out",
            "\(name).pem",
        ]
        if let issuer {
            arguments += ["-CA", "\(issuer).pem", "-CAkey", "\(issuer).key", "-set_serial", "0x1001"]
        } else {
            arguments += ["-signkey", keyFile, "-set_serial", "0x2002"]
        }
        if let digest { arguments.append(digest) }
        try openssl(arguments, in: directory)
        try openssl(["x509", "-in", "\(name).pem", "-outform", "DER", "-out", "\(name).der"], in: directory)
        return Array(try Data(contentsOf: directory.appendingPathComponent("\(name).der")))
    }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        var arguments: [String]
        var output: String
        var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
    }

    /// Runs the openssl CLI and returns its standard output.
    @discardableResult
    static func openssl(_ arguments: [String], in directory: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw OpenSSLFailed(arguments: arguments, output: text) }
        return text
    }
}
