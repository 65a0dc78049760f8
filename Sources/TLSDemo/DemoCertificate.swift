import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import TLSGateway
import X509
import _CryptoExtras

/// A self-signed certificate and key made in memory: nothing to install, nothing on disk.
public struct DemoCertificate: Sendable {
    public enum KeyType: String, Sendable { case rsa2048 = "RSA-2048", ecdsaP256 = "ECDSA P-256" }
    public let keyType: KeyType
    public let certificatePEM: String
    public let privateKeyPEM: String

    public init(keyType: KeyType, commonName: String = "localhost", validFor: TimeInterval = 30 * 86400) throws {
        self.keyType = keyType
        let now = Date()
        let name = try DistinguishedName {
            CommonName(commonName)
            OrganizationName("tlsguard demo")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: keyType == .rsa2048))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames([.dnsName(commonName), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
        }
        let privateKey: Certificate.PrivateKey
        let keyPEM: String
        let signature: Certificate.SignatureAlgorithm
        switch keyType {
        case .rsa2048:
            let k = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            privateKey = Certificate.PrivateKey(k)
            keyPEM = k.pemRepresentation
            signature = .sha256WithRSAEncryption
        case .ecdsaP256:
            let k = P256.Signing.PrivateKey()
            privateKey = Certificate.PrivateKey(k)
            keyPEM = k.pemRepresentation
            signature = .ecdsaWithSHA256
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: privateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(validFor),
            issuer: name, subject: name, signatureAlgorithm: signature, extensions: extensions,
            issuerPrivateKey: privateKey)
        certificatePEM = try cert.serializeAsPEM().pemString
        privateKeyPEM = keyPEM
    }

    /// An ECDSA P-256 and an RSA-2048 certificate for `commonName`, written as PEM chain and key
    /// files into `directory` (which must exist): the gateway's certificate entries for `hosts`.
    /// `defaultKey`: the one served to names not in `hosts`; nil makes both defaults, so every
    /// client gets the kind it can use (ECDSA if it can verify it, else RSA) whatever its name.
    public static func writePair(into directory: URL, commonName: String = "localhost", hosts: [String] = [],
                                 defaultKey: KeyType?) throws -> [GatewayConfiguration.Certificate] {
        try [KeyType.ecdsaP256, .rsa2048].map { keyType in
            let cert = try DemoCertificate(keyType: keyType, commonName: commonName)
            let name = keyType == .rsa2048 ? "rsa" : "ecdsa"
            let chain = directory.appendingPathComponent("\(name).pem").path
            let key = directory.appendingPathComponent("\(name).key").path
            try cert.certificatePEM.write(toFile: chain, atomically: true, encoding: .utf8)
            try cert.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)
            return GatewayConfiguration.Certificate(hosts: hosts, isDefault: defaultKey.map { $0 == keyType } ?? true, chainPath: chain, keyPath: key)
        }
    }

    func nioCertificate() throws -> NIOSSLCertificate { try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem) }
    func nioKey() throws -> NIOSSLPrivateKey { try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem) }
}
