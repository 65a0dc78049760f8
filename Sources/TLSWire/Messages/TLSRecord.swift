import NIOCore

/// One TLS record (RFC 8446 §5.1, RFC 5246 §6.2.1).
public struct TLSRecord: Hashable, Sendable {
    public var contentType: ContentType
    /// The record-layer version (legacy_record_version in TLS 1.3).
    public var version: ProtocolVersion
    public var fragment: ByteBuffer

    public init(contentType: ContentType, version: ProtocolVersion, fragment: ByteBuffer) {
        self.contentType = contentType
        self.version = version
        self.fragment = fragment
    }

    /// 2^14 plaintext plus the 2048 bytes of expansion RFC 5246 §6.2.3 allows a ciphertext.
    public static let maxFragmentLength = 16384 + 2048
    public static let headerLength = 5

    /// Writes the header and fragment.
    public func write(to buf: inout ByteBuffer) {
        buf.writeInteger(contentType.rawValue)
        buf.writeInteger(version.rawValue)
        var f = fragment
        buf.writeTLSVector(.two) { $0.writeBuffer(&f) }
    }
}

extension ByteBuffer {
    /// Reads one TLS record.
    /// - Returns: `nil` until the whole record has arrived (reader index unchanged).
    /// - Throws: `TLSWireError` with code `.notTLS` when the header cannot start a TLS record,
    ///   `.tooLong` when the length exceeds what RFC 5246 §6.2.3 allows.
    public mutating func readTLSRecord() throws -> TLSRecord? {
        guard readableBytes >= TLSRecord.headerLength else {
            // Reject early what cannot become a record, so a non-TLS peer is named after one byte.
            if let first = getInteger(at: readerIndex, as: UInt8.self), !ContentType(first).isKnown {
                throw TLSWireError(.notTLS, field: "record.content_type", offset: 0, detail: "byte 0x\([first].hexString)",
                                   bytes: getBytes(at: readerIndex, length: readableBytes) ?? [])
            }
            return nil
        }
        let start = readerIndex
        let type = getInteger(at: start, as: UInt8.self)!
        let major = getInteger(at: start + 1, as: UInt8.self)!
        let length = Int(getInteger(at: start + 3, as: UInt16.self)!)
        guard ContentType(type).isKnown, major == 3 else {
            throw TLSWireError(.notTLS, field: "record.header", offset: 0,
                               detail: "content type \(type), version major \(major)",
                               bytes: getBytes(at: start, length: Swift.min(readableBytes, 64)) ?? [])
        }
        guard length <= TLSRecord.maxFragmentLength else {
            throw TLSWireError(.tooLong, field: "record.length", offset: 3, detail: "\(length) bytes",
                               bytes: getBytes(at: start, length: 5) ?? [])
        }
        guard readableBytes >= TLSRecord.headerLength + length else { return nil }
        moveReaderIndex(forwardBy: 1)
        let version = readInteger(as: UInt16.self)!
        let fragment = readTLSVector(.two)!
        return TLSRecord(contentType: ContentType(type), version: ProtocolVersion(version), fragment: fragment)
    }
}

/// A handshake message with its header (RFC 8446 §4): type, body, and the original bytes.
public struct HandshakeMessage: Hashable, Sendable {
    public var type: HandshakeType
    public var body: ByteBuffer
    /// The message as it stood on the wire: the 4-byte header and the body.
    public var bytes: ByteBuffer { Self.framed(type) { $0.writeImmutableBuffer(body) } }

    public init(type: HandshakeType, body: ByteBuffer) {
        self.type = type
        self.body = body
    }
}

/// Joins handshake-record fragments into messages: a message may span records, a record may hold
/// several messages (RFC 8446 §5.1). Every message length is capped.
public struct HandshakeReassembler: Sendable {
    private var pending = ByteBuffer()
    /// Largest message accepted; a peer's length field beyond this is an error, not an allocation.
    public let maxMessageLength: Int

    public init(maxMessageLength: Int = 256 * 1024) {
        self.maxMessageLength = maxMessageLength
    }

    /// Bytes received but not yet part of a whole message.
    public var bufferedBytes: Int { pending.readableBytes }

    public mutating func append(_ fragment: ByteBuffer) {
        var f = fragment
        pending.writeBuffer(&f)
    }

    /// The next whole message, or nil until more fragments arrive.
    public mutating func nextMessage() throws -> HandshakeMessage? {
        guard pending.readableBytes >= 4 else { return nil }
        let type = pending.getInteger(at: pending.readerIndex, as: UInt8.self)!
        let length = Int(pending.getUInt24(at: pending.readerIndex + 1)!)
        guard length <= maxMessageLength else {
            throw TLSWireError(.tooLong, field: "handshake(\(HandshakeType(type))).length", detail: "\(length) bytes, cap \(maxMessageLength)")
        }
        guard pending.readableBytes >= 4 + length else { return nil }
        pending.moveReaderIndex(forwardBy: 4)
        let body = pending.readSlice(length: length)!
        if pending.readableBytes == 0 { pending.clear() }
        return HandshakeMessage(type: HandshakeType(type), body: body)
    }
}
