import Foundation
import TLSWire

/// A host and port to scan, with the server name to send.
public struct ScanTarget: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The SNI to send; nil sends none. Defaults to the host when it is a name, not an address.
    public var sni: String?

    public init(host: String, port: Int, sni: String? = nil) {
        self.host = host
        self.port = port
        self.sni = sni
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `host`, `host:port`, `[v6]:port`, `v6`, `https://host[:port]/…`.
    /// - Throws: `TargetParseError` naming the input.
    public init(parsing text: String, defaultPort: Int = 443, sni: String? = nil) throws {
        var s = text.trimmingCharacters(in: .whitespaces)
        if let range = s.range(of: "://") {
            let scheme = s[..<range.lowerBound].lowercased()
            s = String(s[range.upperBound...])
            if let slash = s.firstIndex(of: "/") { s = String(s[..<slash]) }
            if scheme != "https" && scheme != "tls" { throw TargetParseError(input: text, reason: "unsupported scheme '\(scheme)'") }
        }
        guard !s.isEmpty else { throw TargetParseError(input: text, reason: "empty host") }
        var host = s
        var port = defaultPort
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { throw TargetParseError(input: text, reason: "missing ']'") }
            host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { throw TargetParseError(input: text, reason: "bad port") }
                port = p
            }
        } else if s.filter({ $0 == ":" }).count == 1, let colon = s.firstIndex(of: ":") {
            host = String(s[..<colon])
            guard let p = Int(s[s.index(after: colon)...]) else {
                throw TargetParseError(input: text, reason: "bad port '\(s[s.index(after: colon)...])'")
            }
            port = p
        }
        guard (1...65535).contains(port) else { throw TargetParseError(input: text, reason: "port \(port) out of range 1-65535") }
        guard !host.isEmpty else { throw TargetParseError(input: text, reason: "empty host") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%")
        guard host.allSatisfy({ allowed.contains($0) }) else {
            throw TargetParseError(input: text, reason: "host contains characters a host name cannot have")
        }
        self.host = host
        self.port = port
        self.sni = sni ?? (Self.isIPAddress(host) ? nil : host)
    }

    static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}

public struct TargetParseError: Error, CustomStringConvertible, Sendable {
    public var input: String
    public var reason: String
    public var description: String { "invalid target '\(input)': \(reason)" }
}
