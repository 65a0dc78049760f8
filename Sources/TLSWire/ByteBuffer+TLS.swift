import NIOCore

// Length-prefixed blocks are how every TLS structure nests (RFC 8446 §3.4: vectors carry a length
// of 1, 2 or 3 bytes). These helpers are the only place lengths are read or written.

extension ByteBuffer {
    /// Reads a 24-bit big-endian integer (handshake message lengths, certificate lengths).
    @inlinable
    public mutating func readUInt24() -> UInt32? {
        guard let bytes = readBytes(length: 3) else { return nil }
        return UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
    }

    @inlinable
    public func getUInt24(at index: Int) -> UInt32? {
        guard let bytes = getBytes(at: index, length: 3) else { return nil }
        return UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
    }

    @inlinable
    @discardableResult
    public mutating func writeUInt24(_ value: UInt32) -> Int {
        precondition(value <= 0xFF_FFFF, "uint24 overflow")
        return writeBytes([UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)])
    }

    /// The width of a TLS length prefix.
    public enum TLSLengthWidth: Sendable {
        case one, two, three
        @usableFromInline var max: Int {
            switch self {
            case .one: return 0xFF
            case .two: return 0xFFFF
            case .three: return 0xFF_FFFF
            }
        }
    }

    /// Writes a length prefix, then whatever `body` writes, then patches the length in.
    /// Lengths are never computed by hand anywhere else.
    @discardableResult
    public mutating func writeTLSVector(_ width: TLSLengthWidth, _ body: (inout ByteBuffer) throws -> Void) rethrows -> Int {
        let lengthIndex = writerIndex
        switch width {
        case .one: writeInteger(UInt8(0))
        case .two: writeInteger(UInt16(0))
        case .three: writeUInt24(0)
        }
        let start = writerIndex
        try body(&self)
        let length = writerIndex - start
        precondition(length <= width.max, "TLS vector of \(length) bytes exceeds its length prefix")
        switch width {
        case .one: setInteger(UInt8(length), at: lengthIndex)
        case .two: setInteger(UInt16(length), at: lengthIndex)
        case .three:
            setBytes([UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)], at: lengthIndex)
        }
        return writerIndex - lengthIndex
    }

    /// Reads a length-prefixed block as a slice.
    /// - Returns: `nil` when the buffer does not yet hold the whole block (reader index unchanged).
    public mutating func readTLSVector(_ width: TLSLengthWidth) -> ByteBuffer? {
        let save = readerIndex
        let length: Int?
        switch width {
        case .one: length = readInteger(as: UInt8.self).map(Int.init)
        case .two: length = readInteger(as: UInt16.self).map(Int.init)
        case .three: length = readUInt24().map(Int.init)
        }
        guard let length, let slice = readSlice(length: length) else {
            moveReaderIndex(to: save)
            return nil
        }
        return slice
    }

    /// Reads a length-prefixed block from a buffer that must already hold the whole message:
    /// a short buffer is malformed, not incomplete.
    public mutating func readTLSVectorStrict(_ width: TLSLengthWidth, field: String, min: Int = 0, max: Int? = nil) throws -> ByteBuffer {
        let start = readerIndex
        guard let slice = readTLSVector(width) else {
            throw TLSWireError(.lengthOverrun, field: field, offset: start, detail: "length exceeds the \(readableBytes) bytes left",
                               bytes: getBytes(at: start, length: Swift.min(readableBytes, 16)) ?? [])
        }
        guard slice.readableBytes >= min else {
            throw TLSWireError(.invalidLength, field: field, offset: start, detail: "\(slice.readableBytes) bytes, at least \(min) required")
        }
        if let max, slice.readableBytes > max {
            throw TLSWireError(.tooLong, field: field, offset: start, detail: "\(slice.readableBytes) bytes, at most \(max) allowed")
        }
        return slice
    }

    /// Reads an integer from a buffer that must already hold it.
    @inlinable
    public mutating func readStrict<T: FixedWidthInteger>(_ type: T.Type = T.self, field: String) throws -> T {
        guard let v = readInteger(as: T.self) else {
            throw TLSWireError(.lengthOverrun, field: field, offset: readerIndex, detail: "truncated")
        }
        return v
    }

    @inlinable
    public mutating func readBytesStrict(_ length: Int, field: String) throws -> [UInt8] {
        guard let v = readBytes(length: length) else {
            throw TLSWireError(.lengthOverrun, field: field, offset: readerIndex, detail: "needs \(length) bytes, \(readableBytes) left")
        }
        return v
    }

    /// Reads a vector of 16-bit values (cipher suites, groups, signature schemes).
    public mutating func readUInt16List(_ width: TLSLengthWidth, field: String, min: Int = 0) throws -> [UInt16] {
        var slice = try readTLSVectorStrict(width, field: field, min: min)
        guard slice.readableBytes % 2 == 0 else {
            throw TLSWireError(.invalidLength, field: field, detail: "odd length \(slice.readableBytes) for a list of 16-bit values")
        }
        var out: [UInt16] = []
        out.reserveCapacity(slice.readableBytes / 2)
        while let v = slice.readInteger(as: UInt16.self) { out.append(v) }
        return out
    }

    /// Throws unless every byte of this (sliced) block has been consumed.
    public func expectFullyConsumed(field: String) throws {
        if readableBytes != 0 {
            throw TLSWireError(.trailingBytes, field: field, offset: readerIndex, detail: "\(readableBytes) bytes left over",
                               bytes: getBytes(at: readerIndex, length: Swift.min(readableBytes, 16)) ?? [])
        }
    }

    /// Writes a list of 16-bit values with a length prefix.
    public mutating func writeUInt16List(_ width: TLSLengthWidth, _ values: [UInt16]) {
        writeTLSVector(width) { buf in for v in values { buf.writeInteger(v) } }
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses hex (whitespace ignored); nil on odd length or a non-hex character.
    public init?(hexString: String) {
        var out: [UInt8] = []
        var high: UInt8?
        for c in hexString.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: ":"): continue
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        if high != nil { return nil }
        self = out
    }
}
