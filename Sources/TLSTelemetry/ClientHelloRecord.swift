import Foundation

/// One distinct ClientHello, stored once however many connections sent it, so that `tlsguard
/// impact` can replay it exactly against the TLS contexts of a policy it tests.
///
/// "Distinct" ignores what changes on every connection (random, session ID, key-share bytes, GREASE
/// values, PSK, padding): `hash` is the SHA-256 of the hello with those blanked, computed by the
/// gateway (`ClientHello.distinctHash` in TLSGateway). `bytes` are the first such hello as it was on
/// the wire (records, or the SSL 2.0 record), a valid hello to replay.
public struct ClientHelloRecord: Sendable, Hashable, Codable {
    public var hash: String
    public var firstSeen: Date
    /// Record-layer version of the first record (`TLSv1.0`, `SSLv2`).
    public var recordVersion: String
    public var bytes: [UInt8]
    public var ja3: String?
    public var ja4: String?

    public init(hash: String, firstSeen: Date, recordVersion: String, bytes: [UInt8], ja3: String? = nil, ja4: String? = nil) {
        self.hash = hash
        self.firstSeen = firstSeen
        self.recordVersion = recordVersion
        self.bytes = bytes
        self.ja3 = ja3
        self.ja4 = ja4
    }
}
