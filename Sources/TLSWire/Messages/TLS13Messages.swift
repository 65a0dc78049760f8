import NIOCore

/// EncryptedExtensions (RFC 8446 §4.3.1): the extensions a TLS 1.3 server sends under the
/// handshake keys (ALPN, early_data acceptance, server_name acknowledgement …).
public struct EncryptedExtensions: Hashable, Sendable {
    public var extensions: [TLSExtension]

    /// struct { Extension extensions<0..2^16-1>; } EncryptedExtensions;
    public init(parsingBody body: ByteBuffer) throws {
        var buf = body
        extensions = try ExtensionCodec.read(&buf, field: "EncryptedExtensions")
        try buf.expectFullyConsumed(field: "EncryptedExtensions")
    }
}

/// A TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1): a resumption ticket sent after the handshake.
/// (TLS 1.2's RFC 5077 message has the same type number and a different body.)
public struct NewSessionTicket13: Hashable, Sendable {
    /// Seconds the ticket may be used for (at most 604800, seven days).
    public var lifetime: UInt32
    public var ageAdd: UInt32
    public var nonce: [UInt8]
    public var ticket: [UInt8]
    public var extensions: [TLSExtension]

    /// RFC 8446 §4.6.1: the most a ticket_lifetime may be.
    public static let maxLifetime: UInt32 = 604_800

    public init(parsingBody body: ByteBuffer) throws {
        var buf = body
        let f = "NewSessionTicket"
        lifetime = try buf.readStrict(UInt32.self, field: "\(f).ticket_lifetime")
        ageAdd = try buf.readStrict(UInt32.self, field: "\(f).ticket_age_add")
        nonce = Array(try buf.readTLSVectorStrict(.one, field: "\(f).ticket_nonce").readableBytesView)
        ticket = Array(try buf.readTLSVectorStrict(.two, field: "\(f).ticket", min: 1).readableBytesView)
        extensions = try ExtensionCodec.read(&buf, field: f)
        try buf.expectFullyConsumed(field: f)
        guard lifetime <= Self.maxLifetime else {
            throw TLSWireError(.invalidValue, field: "\(f).ticket_lifetime", detail: "\(lifetime) s exceeds seven days")
        }
    }

    /// The early_data extension's max_early_data_size (RFC 8446 §4.2.10); nil: the ticket does not
    /// allow 0-RTT.
    public func maxEarlyDataSize() throws -> UInt32? {
        try extensions.decode(.earlyData) { try $0.readStrict(UInt32.self, field: "early_data.max_early_data_size") }
    }
}

/// A TLS 1.3 CertificateRequest (RFC 8446 §4.3.2): the context to echo and the extensions.
public struct CertificateRequest13: Hashable, Sendable {
    public var context: [UInt8]
    public var extensions: [TLSExtension]

    public init(parsingBody body: ByteBuffer) throws {
        var buf = body
        let f = "CertificateRequest"
        context = Array(try buf.readTLSVectorStrict(.one, field: "\(f).certificate_request_context").readableBytesView)
        extensions = try ExtensionCodec.read(&buf, field: f)
        try buf.expectFullyConsumed(field: f)
    }
}

extension Array where Element == TLSExtension {
    /// pre_shared_key in a ServerHello (RFC 8446 §4.2.11): the index of the identity the server chose.
    public func serverSelectedIdentity() throws -> UInt16? {
        try decode(.preSharedKey) { try $0.readStrict(UInt16.self, field: "pre_shared_key.selected_identity") }
    }

    /// Whether an empty early_data extension is present (EncryptedExtensions: 0-RTT accepted,
    /// RFC 8446 §4.2.10); a body there is malformed.
    public func hasEmptyEarlyData() throws -> Bool {
        try decode(.earlyData) { _ in true } ?? false
    }
}
