import Foundation
import Yams

/// A YAML node with its dotted path, for reading the config with errors that say where.
///
/// Mappings are read with the set of keys they may have: an unknown key (a typo such as
/// `minimumVersoin`) is an error, never silently ignored.
struct ConfigNode {
    let node: Node
    let path: String
    let file: String

    func error(_ problem: String) -> GatewayConfigError {
        let line = node.mark.map { " (line \($0.line))" } ?? ""
        return GatewayConfigError(file: file, key: path, problem: problem + line)
    }

    private func child(_ key: String, _ node: Node) -> ConfigNode {
        ConfigNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// The mapping's entries; throws on a non-mapping or on a key outside `allowed` (nil: any key).
    func mapping(allowed: Set<String>?) throws(GatewayConfigError) -> [String: ConfigNode] {
        guard let mapping = node.mapping else { throw error("expected a mapping") }
        var result: [String: ConfigNode] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw error("a key is not a string") }
            if let allowed, !allowed.contains(key) {
                throw child(key, value).error("unknown setting (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            result[key] = child(key, value)
        }
        return result
    }

    func sequence() throws(GatewayConfigError) -> [ConfigNode] {
        guard let sequence = node.sequence else { throw error("expected a list") }
        return sequence.enumerated().map { ConfigNode(node: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    func string() throws(GatewayConfigError) -> String {
        guard let scalar = node.scalar else { throw error("expected a single value") }
        return scalar.string
    }

    /// A string or a list of strings.
    func strings() throws(GatewayConfigError) -> [String] {
        if node.scalar != nil { return [try string()] }
        var out: [String] = []
        for item in try sequence() { out.append(try item.string()) }
        return out
    }

    func int(in range: ClosedRange<Int>) throws(GatewayConfigError) -> Int {
        let text = try string()
        guard let value = Int(text), range.contains(value) else {
            throw error("'\(text)' is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func bool() throws(GatewayConfigError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("'\(other)' is not true or false")
        }
    }

    func choice<T: RawRepresentable>(_: T.Type, _ all: [T]) throws(GatewayConfigError) -> T where T.RawValue == String {
        let text = try string()
        guard let value = all.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw error("'\(text)' is not one of \(all.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// `2026-06-30` (midnight UTC) or an RFC 3339 date-time (`2026-06-30T14:00:00Z`, `…+02:00`).
    func date() throws(GatewayConfigError) -> Date {
        let text = try string().trimmingCharacters(in: .whitespaces)
        if let date = Self.parseDate(text) { return date }
        throw error("'\(text)' is not a date (2026-06-30 or 2026-06-30T14:00:00Z)")
    }

    static func parseDate(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime]
        if let d = full.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = fractional.date(from: text) { return d }
        // YAML timestamps may use a space instead of T.
        if text.count > 10, text[text.index(text.startIndex, offsetBy: 10)] == " " {
            var t = text
            t.replaceSubrange(t.index(t.startIndex, offsetBy: 10)...t.index(t.startIndex, offsetBy: 10), with: "T")
            if let d = full.date(from: t) { return d }
        }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        day.timeZone = TimeZone(identifier: "UTC")
        if text.count == 10, let d = day.date(from: text) { return d }
        return nil
    }

    /// `250ms`, `5s`, `2m`, `1h`, or a plain number of seconds.
    func duration() throws(GatewayConfigError) -> Double {
        let text = try string().trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)), v >= 0 { return v * factor }
        }
        if let v = Double(text), v >= 0 { return v }
        throw error("'\(text)' is not a duration (250ms, 5s, 2m, 90d)")
    }

    /// `host:port`, `[v6]:port` or `:port` (all addresses).
    func address() throws(GatewayConfigError) -> (host: String, port: Int) {
        let text = try string()
        guard let address = GatewayConfiguration.parseAddress(text) else {
            throw error(GatewayConfiguration.addressProblem(text) ?? "'\(text)' is not host:port")
        }
        return address
    }
}
