#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network in CIDR notation (RFC 4632 §3.1, RFC 4291 §2.3), e.g. `203.0.113.0/24`,
/// `2001:db8::/32`; a bare address is a /32 or /128.
public struct IPAddressRange: Hashable, Sendable, CustomStringConvertible {
    /// Network bytes: 4 for IPv4, 16 for IPv6.
    public let network: [UInt8]
    public let prefixLength: Int
    public let description: String

    /// Parses `address/prefix` or a bare address; nil when it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let bytes = Self.parseAddress(String(parts[0])) else { return nil }
        let bits = bytes.count * 8
        let prefix: Int
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p) else { return nil }
            prefix = p
        } else {
            prefix = bits
        }
        network = Self.mask(bytes, prefix: prefix)
        prefixLength = prefix
        description = text
    }

    /// Whether `address` (text form, IPv4, IPv6 or IPv4-mapped IPv6) lies in this network.
    public func contains(_ address: String) -> Bool {
        guard var bytes = Self.parseAddress(address) else { return false }
        // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) is the IPv4 client on a dual-stack socket.
        if bytes.count == 16, network.count == 4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12...])
        }
        guard bytes.count == network.count else { return false }
        return Self.mask(bytes, prefix: prefixLength) == network
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func mask(_ bytes: [UInt8], prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsHere = max(0, min(8, prefix - index * 8))
            return bitsHere == 0 ? 0 : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
    }
}
