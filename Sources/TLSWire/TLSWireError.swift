import NIOCore

/// A malformed TLS message: what was wrong, where, and the bytes it came from.
///
/// "Need more bytes" is never an error: readers return `nil` for that.
public struct TLSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// A length field points past the end of its enclosing block.
        public static let lengthOverrun = Code(name: "lengthOverrun")
        /// A block was not consumed exactly by its contents.
        public static let trailingBytes = Code(name: "trailingBytes")
        /// A length is larger than the protocol or our caps allow.
        public static let tooLong = Code(name: "tooLong")
        /// A length has an impossible value (odd list of 16-bit values, zero where forbidden).
        public static let invalidLength = Code(name: "invalidLength")
        /// The bytes are not a TLS (or SSL 2.0) record at all.
        public static let notTLS = Code(name: "notTLS")
        /// A field holds a value the message cannot carry (wrong message type, bad enum).
        public static let invalidValue = Code(name: "invalidValue")
        /// An extension appears twice (RFC 8446 §4.2).
        public static let duplicateExtension = Code(name: "duplicateExtension")
    }

    public var code: Code
    /// What was being read, e.g. `ClientHello.cipher_suites`.
    public var field: String
    /// Offset of the problem inside the message being parsed, when known.
    public var offset: Int?
    public var detail: String
    /// Up to 64 bytes around the problem, for diagnostics.
    public var bytes: [UInt8]

    public init(_ code: Code, field: String, offset: Int? = nil, detail: String = "", bytes: [UInt8] = []) {
        self.code = code
        self.field = field
        self.offset = offset
        self.detail = detail
        self.bytes = Array(bytes.prefix(64))
    }

    public var description: String {
        var s = "malformed \(field): \(code)"
        if !detail.isEmpty { s += " (\(detail))" }
        if let offset { s += " at offset \(offset)" }
        return s
    }
}
