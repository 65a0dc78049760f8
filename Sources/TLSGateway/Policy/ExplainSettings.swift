/// The HTTP answer given instead of proxying to legacy clients (RFC 9110 §15.5.22: 426 Upgrade Required).
public struct ExplainSettings: Sendable, Hashable {
    /// Body format.
    public enum Format: String, Sendable, Hashable { case json, html }
    public var status: Int
    public var format: Format
    /// Extra sentence for the body (who to contact, a deadline reminder).
    public var message: String?
    /// Where the fix is documented.
    public var link: String?
    public init(status: Int = 426, format: Format = .json, message: String? = nil, link: String? = nil) {
        self.status = status
        self.format = format
        self.message = message
        self.link = link
    }
}
