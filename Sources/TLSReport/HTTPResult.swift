import Foundation

/// What the HTTPS endpoint answers to `GET /`: status, banner and HSTS.
public struct HTTPResult: Codable, Sendable {
    public var check: CheckStatus
    public var statusLine: String?
    public var statusCode: Int?
    /// The `Server` header, if any (a banner worth hiding).
    public var server: String?
    public var location: String?
    public var hsts: HSTSPolicy?

    package init(check: CheckStatus, statusLine: String? = nil, statusCode: Int? = nil, server: String? = nil, location: String? = nil, hsts: HSTSPolicy? = nil) {
        self.check = check
        self.statusLine = statusLine
        self.statusCode = statusCode
        self.server = server
        self.location = location
        self.hsts = hsts
    }
}

/// Strict-Transport-Security as RFC 6797 §6.1 defines it.
public struct HSTSPolicy: Codable, Sendable, Hashable {
    /// The header as received (the first one; RFC 6797 §8.1 says only the first counts).
    public var header: String?
    /// A header is present and parses.
    public var valid: Bool
    public var maxAge: Int?
    public var includeSubDomains: Bool
    public var preload: Bool
    /// Why it is invalid (RFC 6797 §6.1), one line each; whether a valid one is too short is
    /// TLSPolicy's `HSTSVerdict`.
    public var problems: [String]

    /// Parses the value of a Strict-Transport-Security header (RFC 6797 §6.1.1, §6.1.2).
    public static func parse(_ value: String?, headerCount: Int = 1) -> HSTSPolicy {
        guard let value else {
            return HSTSPolicy(header: nil, valid: false, maxAge: nil, includeSubDomains: false, preload: false,
                              problems: ["no Strict-Transport-Security header"])
        }
        var problems: [String] = []
        var maxAge: Int?
        var include = false
        var preload = false
        var seen = Set<String>()
        var valid = true
        for raw in value.split(separator: ";", omittingEmptySubsequences: false) {
            let directive = raw.trimmingCharacters(in: .whitespaces)
            if directive.isEmpty { continue }
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let name = parts[0].lowercased()
            // §6.1: "All directives MUST appear only once".
            if !seen.insert(name).inserted {
                problems.append("directive '\(name)' appears more than once")
                valid = false
            }
            switch name {
            case "max-age":
                var v = parts.count > 1 ? parts[1] : ""
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                if let n = Int(v), n >= 0, v.allSatisfy(\.isNumber) { maxAge = n } else {
                    problems.append("max-age '\(parts.count > 1 ? parts[1] : "")' is not a number of seconds")
                    valid = false
                }
            case "includesubdomains":
                if parts.count > 1 { problems.append("includeSubDomains takes no value"); valid = false }
                include = true
            case "preload":
                preload = true
            default:
                break // §6.1: unknown directives are ignored
            }
        }
        if maxAge == nil && valid {
            problems.append("max-age is missing (required by RFC 6797 §6.1.1)")
            valid = false
        }
        if headerCount > 1 { problems.append("\(headerCount) Strict-Transport-Security headers; only the first counts") }
        return HSTSPolicy(header: value, valid: valid, maxAge: maxAge, includeSubDomains: include, preload: preload, problems: problems)
    }

    package init(header: String? = nil, valid: Bool, maxAge: Int? = nil, includeSubDomains: Bool, preload: Bool, problems: [String]) {
        self.header = header
        self.valid = valid
        self.maxAge = maxAge
        self.includeSubDomains = includeSubDomains
        self.preload = preload
        self.problems = problems
    }
}
