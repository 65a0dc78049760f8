import NIOCore

/// One extension as it stood on the wire: its type and its undecoded body.
///
/// Extensions stay in wire order in every message, unknown ones included; the typed accessors
/// on `[TLSExtension]` decode the ones a scanner or fingerprint needs.
public struct TLSExtension: Hashable, Sendable {
    public var type: ExtensionType
    public var data: [UInt8]
    public init(type: ExtensionType, data: [UInt8]) {
        self.type = type
        self.data = data
    }
    public init(type: ExtensionType, _ write: (inout ByteBuffer) -> Void) {
        var buf = ByteBuffer()
        write(&buf)
        self.init(type: type, data: Array(buf.readableBytesView))
    }

    var buffer: ByteBuffer { ByteBuffer(bytes: data) }
}

/// The `extensions` block common to hellos (RFC 8446 §4.2).
enum ExtensionCodec {
    static func read(_ buf: inout ByteBuffer, field: String) throws -> [TLSExtension] {
        var block = try buf.readTLSVectorStrict(.two, field: "\(field).extensions")
        var out: [TLSExtension] = []
        var seen = Set<UInt16>()
        while block.readableBytes > 0 {
            let at = block.readerIndex
            let type = try block.readStrict(UInt16.self, field: "\(field).extension_type")
            let body = try block.readTLSVectorStrict(.two, field: "\(field).extension(\(ExtensionType(type)))")
            // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type".
            guard seen.insert(type).inserted else {
                throw TLSWireError(.duplicateExtension, field: "\(field).extensions", offset: at, detail: ExtensionType(type).name)
            }
            out.append(TLSExtension(type: ExtensionType(type), data: Array(body.readableBytesView)))
        }
        return out
    }

    static func write(_ extensions: [TLSExtension], to buf: inout ByteBuffer) {
        buf.writeTLSVector(.two) { b in
            for e in extensions {
                b.writeInteger(e.type.rawValue)
                b.writeTLSVector(.two) { $0.writeBytes(e.data) }
            }
        }
    }
}

/// A key_share entry (RFC 8446 §4.2.8).
public struct KeyShareEntry: Hashable, Sendable {
    public var group: NamedGroup
    public var keyExchange: [UInt8]
    public init(group: NamedGroup, keyExchange: [UInt8]) {
        self.group = group
        self.keyExchange = keyExchange
    }
}

extension Array where Element == TLSExtension {
    public subscript(type: ExtensionType) -> TLSExtension? { first { $0.type == type } }
    public func contains(_ type: ExtensionType) -> Bool { contains { $0.type == type } }
    public var types: [ExtensionType] { map(\.type) }

    /// Decodes one extension body with `body`, which must consume it exactly.
    func decode<T>(_ type: ExtensionType, _ body: (inout ByteBuffer) throws -> T) throws -> T? {
        guard let ext = self[type] else { return nil }
        var buf = ext.buffer
        let value = try body(&buf)
        try buf.expectFullyConsumed(field: type.name)
        return value
    }

    /// server_name (RFC 6066 §3): the host_name entry. An empty extension (a server's ack) gives "".
    public func serverName() throws -> String? {
        try decode(.serverName) { buf in
            if buf.readableBytes == 0 { return "" }
            var list = try buf.readTLSVectorStrict(.two, field: "server_name.server_name_list", min: 1)
            var host: String?
            while list.readableBytes > 0 {
                let nameType = try list.readStrict(UInt8.self, field: "server_name.name_type")
                let name = try list.readTLSVectorStrict(.two, field: "server_name.host_name")
                if nameType == 0, host == nil { host = String(decoding: name.readableBytesView, as: UTF8.self) }
            }
            return host ?? ""
        }
    }

    /// supported_groups (RFC 8446 §4.2.7), in wire order.
    public func supportedGroups() throws -> [NamedGroup]? {
        try decode(.supportedGroups) { try $0.readUInt16List(.two, field: "supported_groups").map { NamedGroup($0) } }
    }

    /// ec_point_formats (RFC 8422 §5.1.2).
    public func ecPointFormats() throws -> [UInt8]? {
        try decode(.ecPointFormats) { [UInt8](try $0.readTLSVectorStrict(.one, field: "ec_point_formats").readableBytesView) }
    }

    /// signature_algorithms (RFC 8446 §4.2.3), in wire order.
    public func signatureAlgorithms() throws -> [SignatureScheme]? {
        try decode(.signatureAlgorithms) { try $0.readUInt16List(.two, field: "signature_algorithms").map { SignatureScheme($0) } }
    }

    /// ALPN protocol names (RFC 7301 §3.1), raw bytes each, in wire order.
    public func alpnProtocols() throws -> [[UInt8]]? {
        try decode(.alpn) { buf in
            var list = try buf.readTLSVectorStrict(.two, field: "alpn.protocol_name_list")
            var out: [[UInt8]] = []
            while list.readableBytes > 0 {
                out.append([UInt8](try list.readTLSVectorStrict(.one, field: "alpn.protocol_name").readableBytesView))
            }
            return out
        }
    }

    /// supported_versions in a ClientHello (RFC 8446 §4.2.1): a list.
    public func clientSupportedVersions() throws -> [ProtocolVersion]? {
        try decode(.supportedVersions) { try $0.readUInt16List(.one, field: "supported_versions").map { ProtocolVersion($0) } }
    }

    /// supported_versions in a ServerHello or HelloRetryRequest: the selected version.
    public func serverSelectedVersion() throws -> ProtocolVersion? {
        try decode(.supportedVersions) { ProtocolVersion(try $0.readStrict(UInt16.self, field: "supported_versions.selected_version")) }
    }

    /// key_share in a ClientHello (RFC 8446 §4.2.8): the client's shares.
    public func clientKeyShares() throws -> [KeyShareEntry]? {
        try decode(.keyShare) { buf in
            var list = try buf.readTLSVectorStrict(.two, field: "key_share.client_shares")
            var out: [KeyShareEntry] = []
            while list.readableBytes > 0 {
                let group = try list.readStrict(UInt16.self, field: "key_share.group")
                let key = try list.readTLSVectorStrict(.two, field: "key_share.key_exchange", min: 1)
                out.append(KeyShareEntry(group: NamedGroup(group), keyExchange: [UInt8](key.readableBytesView)))
            }
            return out
        }
    }

    /// key_share in a HelloRetryRequest: the group the server wants a share for.
    public func helloRetryRequestGroup() throws -> NamedGroup? {
        try decode(.keyShare) { NamedGroup(try $0.readStrict(UInt16.self, field: "key_share.selected_group")) }
    }

    /// key_share in a ServerHello: the server's share.
    public func serverKeyShare() throws -> KeyShareEntry? {
        try decode(.keyShare) { buf in
            let group = try buf.readStrict(UInt16.self, field: "key_share.group")
            let key = try buf.readTLSVectorStrict(.two, field: "key_share.key_exchange", min: 1)
            return KeyShareEntry(group: NamedGroup(group), keyExchange: [UInt8](key.readableBytesView))
        }
    }

    /// renegotiation_info (RFC 5746 §3.2): the renegotiated_connection bytes (empty on an initial handshake).
    public func renegotiationInfo() throws -> [UInt8]? {
        try decode(.renegotiationInfo) { [UInt8](try $0.readTLSVectorStrict(.one, field: "renegotiation_info").readableBytesView) }
    }

    /// psk_key_exchange_modes (RFC 8446 §4.2.9).
    public func pskKeyExchangeModes() throws -> [UInt8]? {
        try decode(.pskKeyExchangeModes) { [UInt8](try $0.readTLSVectorStrict(.one, field: "psk_key_exchange_modes", min: 1).readableBytesView) }
    }

    /// Whether extended_master_secret (RFC 7627) is present; its body must be empty.
    public func hasExtendedMasterSecret() throws -> Bool {
        try decode(.extendedMasterSecret) { _ in true } ?? false
    }

    /// session_ticket (RFC 5077 §3.2): the ticket bytes (empty when asking for a new one).
    public func sessionTicket() throws -> [UInt8]? {
        try decode(.sessionTicket) { buf in
            let b = [UInt8](buf.readableBytesView)
            buf.moveReaderIndex(forwardBy: buf.readableBytes)
            return b
        }
    }
}
