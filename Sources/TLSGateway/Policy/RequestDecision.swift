/// What the policy decided for one HTTP request on an allowed connection.
public enum RequestDecision: Sendable, Hashable {
    /// Proxy it; add deprecation headers when `warn`. `rule` names an API-key exception that let it through.
    case proxy(warn: Bool, rule: String?)
    /// Answer with the explain response; `rule` says why.
    case explain(rule: String)
}
