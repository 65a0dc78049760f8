import Foundation
import TLSReport
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

    /// Parses `host`, `host:port`, `[v6]`, `[v6]:port`, `https://host[:port]/…`. An IPv6 address
    /// without brackets is refused with a hint (`::1:443` could be either `[::1]:443` or `[::1:443]`).
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
        } else if let hint = HostName.unbracketedIPv6Hint(s) {
            throw TargetParseError(input: text, reason: hint)
        } else if let colon = s.firstIndex(of: ":") {
            host = String(s[..<colon])
            guard let p = Int(s[s.index(after: colon)...]) else {
                throw TargetParseError(input: text, reason: "bad port '\(s[s.index(after: colon)...])'")
            }
            port = p
        }
        guard (1...65535).contains(port) else { throw TargetParseError(input: text, reason: "port \(port) out of range 1-65535") }
        guard !host.isEmpty else { throw TargetParseError(input: text, reason: "empty host") }
        if host.contains(":") {
            // Inside brackets: hex groups, and a zone after '%' (fe80::1%eth0).
            let (address, zone) = host.firstIndex(of: "%").map { (host[..<$0], host[host.index(after: $0)...]) } ?? (host[...], "")
            guard address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }),
                  zone.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
                throw TargetParseError(input: text, reason: "'\(host)' is not an IPv6 address")
            }
        } else if !HostName.isIPAddressLiteral(host), let problem = HostName.problem(host) {
            throw TargetParseError(input: text, reason: "'\(host)' is not a host name: \(problem)")
        }
        if let sni, let problem = HostName.sniProblem(sni) {
            throw TargetParseError(input: text, reason: "SNI '\(sni)' is not a host name: \(problem)")
        }
        self.host = host
        self.port = port
        self.sni = sni ?? (HostName.isIPAddressLiteral(host) ? nil : host)
    }
}

public struct TargetParseError: Error, CustomStringConvertible, Sendable {
    public var input: String
    public var reason: String
    public var description: String { "invalid target '\(input)': \(reason)" }
}
