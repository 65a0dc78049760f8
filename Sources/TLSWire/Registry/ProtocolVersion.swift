/// A protocol version as it stands on the wire (RFC 8446 §4.1.2, §4.2.1; SSL 2.0 is 0x0002).
public struct ProtocolVersion: RawRepresentable, Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public init(major: UInt8, minor: UInt8) { self.rawValue = UInt16(major) << 8 | UInt16(minor) }

    public static let sslv2 = ProtocolVersion(0x0002)
    public static let sslv3 = ProtocolVersion(0x0300)
    public static let tls10 = ProtocolVersion(0x0301)
    public static let tls11 = ProtocolVersion(0x0302)
    public static let tls12 = ProtocolVersion(0x0303)
    public static let tls13 = ProtocolVersion(0x0304)
    public static let dtls10 = ProtocolVersion(0xFEFF)
    public static let dtls12 = ProtocolVersion(0xFEFD)
    public static let dtls13 = ProtocolVersion(0xFEFC)

    /// SSL 2.0 through TLS 1.3, oldest first: what a scan probes.
    public static let scanned: [ProtocolVersion] = [.sslv2, .sslv3, .tls10, .tls11, .tls12, .tls13]

    public var major: UInt8 { UInt8(rawValue >> 8) }
    public var minor: UInt8 { UInt8(rawValue & 0xFF) }
    public var isGREASE: Bool { isGREASEValue(rawValue) }
    /// `0x0303` form.
    public var hexString: String { "0x" + hex4(rawValue).uppercased() }
    public var isKnown: Bool { Self.names[rawValue] != nil }

    /// `TLSv1.2`, `SSLv3`; unknown values as `0xXXXX`.
    public var name: String { Self.names[rawValue] ?? hexString }
    /// `TLS 1.2`, `SSL 3.0`: for prose.
    public var displayName: String { Self.displayNames[rawValue] ?? name }
    public var description: String { name }

    /// Order for comparisons: SSL 2.0 < SSL 3.0 < TLS 1.0 … < TLS 1.3. DTLS counts by its TLS twin.
    public static func < (lhs: ProtocolVersion, rhs: ProtocolVersion) -> Bool { lhs.rank < rhs.rank }

    var rank: Int {
        switch rawValue {
        case 0x0002: return 0x0200
        case 0xFEFF: return 0x0302
        case 0xFEFD: return 0x0303
        case 0xFEFC: return 0x0304
        default: return Int(rawValue)
        }
    }

    private static let names: [UInt16: String] = [
        0x0002: "SSLv2", 0x0300: "SSLv3", 0x0301: "TLSv1.0", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2",
        0x0304: "TLSv1.3", 0xFEFF: "DTLSv1.0", 0xFEFD: "DTLSv1.2", 0xFEFC: "DTLSv1.3",
    ]
    private static let displayNames: [UInt16: String] = [
        0x0002: "SSL 2.0", 0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2",
        0x0304: "TLS 1.3", 0xFEFF: "DTLS 1.0", 0xFEFD: "DTLS 1.2", 0xFEFC: "DTLS 1.3",
    ]

    /// Parse `TLSv1.2`, `tls1.2`, `1.2`, `TLS 1.2`, `ssl3`, `0x0303`.
    public init?(parsing text: String) {
        let t = String(text.lowercased().filter { $0 != " " }.map { $0 == "_" ? "." : $0 })
        switch t {
        case "sslv2", "ssl2", "ssl2.0": self = .sslv2
        case "sslv3", "ssl3", "ssl3.0": self = .sslv3
        case "tlsv1", "tlsv1.0", "tls1", "tls1.0", "1.0": self = .tls10
        case "tlsv1.1", "tls1.1", "1.1": self = .tls11
        case "tlsv1.2", "tls1.2", "1.2": self = .tls12
        case "tlsv1.3", "tls1.3", "1.3": self = .tls13
        default:
            if t.hasPrefix("0x"), let v = UInt16(t.dropFirst(2), radix: 16) { self.init(v) } else { return nil }
        }
    }
}
