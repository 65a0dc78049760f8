/// What the gateway does with clients below a host's minimum version (issue 5 §3).
public enum PolicyMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Allow and record.
    case observe
    /// Allow, add deprecation headers to responses, record.
    case warn
    /// Refuse inside the brownout windows; outside them behave like `warn`.
    case brownout
    /// Refuse with a `protocol_version` alert.
    case enforce
}
