/// Syntax checks for the names and addresses users type: host names for SNI and targets, and
/// `host:port` addresses. Each returns the problem in words, or nil when the input is fine.
public enum HostName {
    /// Why `name` cannot be a DNS host name (RFC 1123 §2.1, RFC 1035 §2.3.4: at most 253 octets,
    /// labels of 1–63 letters, digits and hyphens, no hyphen at either end). Underscores are
    /// tolerated, since real service names carry them; a single trailing dot is allowed.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "it contains control characters" }
        if !name.unicodeScalars.allSatisfy(\.isASCII) { return "it is not ASCII (write an internationalised name in its xn-- form)" }
        var labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 1, labels.last == "" { labels.removeLast() }
        let length = labels.reduce(0) { $0 + $1.utf8.count } + labels.count - 1
        if length > 253 { return "it is \(length) characters long (at most 253)" }
        for label in labels {
            if label.isEmpty { return "it has an empty label" }
            if label.utf8.count > 63 { return "the label '\(label.prefix(20))…' is \(label.utf8.count) characters long (at most 63)" }
            if let bad = label.first(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                return "it contains '\(bad)', which a host name cannot have"
            }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "the label '\(label)' starts or ends with a hyphen" }
        }
        return nil
    }

    /// Why `name` cannot be sent as a server name in SNI (RFC 6066 §3: a DNS host name, not an
    /// IP address literal).
    public static func sniProblem(_ name: String) -> String? {
        if isIPAddressLiteral(name) { return "it is an IP address, which SNI cannot carry (RFC 6066 §3)" }
        return problem(name)
    }

    /// The hint for an IPv6 address written without brackets (`::1:443`), which cannot be told
    /// apart from an address ending in a group: nil when `text` has fewer than two colons or is
    /// bracketed.
    public static func unbracketedIPv6Hint(_ text: String) -> String? {
        guard !text.hasPrefix("["), text.filter({ $0 == ":" }).count >= 2 else { return nil }
        if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) {
            return "an IPv6 address needs brackets: write [\(text[..<colon])]:\(port) (or [\(text)] for that address on the default port)"
        }
        return "an IPv6 address needs brackets: write [\(text)] or [\(text)]:PORT"
    }

    /// An IPv4 dotted quad or anything with a colon (IPv6).
    public static func isIPAddressLiteral(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
