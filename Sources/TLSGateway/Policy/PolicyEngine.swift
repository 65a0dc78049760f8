import Foundation
import TLSWire

/// The per-host policies and exceptions, and the decision procedure over them.
///
/// Pure: the only input besides the facts is the clock, so tests move time instead of waiting.
public struct PolicyEngine: Sendable {
    /// Policy for hosts not listed.
    public var defaultPolicy: HostPolicy
    /// Policy for clients that send no server name; `defaultPolicy` when nil.
    public var noSNIPolicy: HostPolicy?
    /// Policies by lowercased host name; a key `*.example.com` matches one label under example.com.
    public var hostPolicies: [String: HostPolicy]
    public var exceptions: [PolicyException]
    public var clock: GatewayClock

    public init(
        defaultPolicy: HostPolicy, noSNIPolicy: HostPolicy? = nil, hostPolicies: [String: HostPolicy] = [:],
        exceptions: [PolicyException] = [], clock: GatewayClock = .system
    ) {
        self.defaultPolicy = defaultPolicy
        self.noSNIPolicy = noSNIPolicy
        self.hostPolicies = hostPolicies
        self.exceptions = exceptions
        self.clock = clock
    }

    /// The policy that governs a server name (nil: the client sent none).
    public func policy(for serverName: String?) -> HostPolicy {
        guard var name = serverName?.lowercased(), !name.isEmpty else { return noSNIPolicy ?? defaultPolicy }
        if name.hasSuffix(".") { name.removeLast() }  // the absolute form names the same host
        if let exact = hostPolicies[name] { return exact }
        if let dot = name.firstIndex(of: "."), let wildcard = hostPolicies["*" + name[dot...]] { return wildcard }
        return defaultPolicy
    }

    /// Decides a connection: the handshake context, or refusal, and the rule that said so.
    ///
    /// Longer than the house limit on purpose: the rules in their order of precedence (SSL 3.0,
    /// exception, cutoff, enforce, brownout, mode) read top to bottom as docs/architecture.md lists them;
    /// the first that applies decides.
    public func decide(_ facts: ConnectionFacts) -> ConnectionDecision {
        let now = clock.now()
        let policy = policy(for: facts.serverName)
        let offered = facts.maxOfferedVersion.displayName
        var decision = ConnectionDecision(
            action: .strict, rule: "\(policy.name).minimumVersion", mode: "modern", policy: policy,
            isLegacyClient: false, addsDeprecationHeaders: false, explains: false, requiresAPIKeyException: false,
            detail: "\(offered) meets the minimum \(policy.minimumVersion.displayName)")
        guard facts.maxOfferedVersion < policy.minimumVersion else { return decision }

        // A legacy client from here on.
        decision.isLegacyClient = true
        if facts.maxOfferedVersion < .tls10 {
            // SSL 3.0 and older: no context of ours can serve it (RFC 7568), whatever the mode.
            decision.action = .refuse
            decision.mode = PolicyMode.enforce.rawValue
            decision.detail = "\(offered) cannot be served (RFC 7568)"
            return decision
        }
        decision.action = .legacy
        decision.addsDeprecationHeaders = true
        let below = "\(offered) is below the minimum \(policy.minimumVersion.displayName)"

        if let exception = activeExceptions(at: now).first(where: { matchesAtHandshake($0, facts) }) {
            decision.rule = exception.rule
            decision.mode = "exception"
            decision.detail = "\(below); allowed by exception \(exception.name) until \(Self.format(exception.expires))"
            return decision
        }

        if let cutoff = policy.cutoff, now >= cutoff {
            decision.rule = "\(policy.name).cutoff"
            decision.mode = PolicyMode.enforce.rawValue
            decision.detail = "\(below); cutoff \(Self.format(cutoff)) has passed"
            return refuseOrDefer(decision, serverName: facts.serverName, now: now)
        }
        if policy.mode == .enforce {
            decision.rule = "\(policy.name).mode=enforce"
            decision.mode = PolicyMode.enforce.rawValue
            decision.detail = "\(below); the policy enforces"
            return refuseOrDefer(decision, serverName: facts.serverName, now: now)
        }
        if let index = policy.brownouts.firstIndex(where: { $0.contains(now) }) {
            let window = policy.brownouts[index]
            decision.rule = "\(policy.name).brownouts[\(index)]"
            decision.mode = PolicyMode.brownout.rawValue
            decision.detail = "\(below); brownout \(Self.format(window.start)) – \(Self.format(window.end))"
            if policy.brownoutResponse == .explain {
                decision.explains = true
                return decision
            }
            return refuseOrDefer(decision, serverName: facts.serverName, now: now)
        }
        decision.mode = policy.mode.rawValue
        switch policy.mode {
        case .observe:
            decision.rule = "\(policy.name).mode=observe"
            decision.addsDeprecationHeaders = false
            decision.detail = "\(below); observed"
        case .warn, .brownout:
            decision.rule = "\(policy.name).mode=\(policy.mode.rawValue)"
            decision.detail = "\(below); warned" + (policy.cutoff.map { " until the cutoff \(Self.format($0))" } ?? "")
        case .enforce:
            break  // handled above
        }
        decision.explains = policy.explain != nil
        return decision
    }

    /// This engine as it will decide for `serverName` once that host's policy enforces: the clock
    /// moved to its cutoff (never before `now`); a policy without a cutoff as if it were
    /// `mode: enforce` today (brownouts dropped). Exceptions stay, each with its own expiry.
    public func enforcing(serverName: String?, now: Date) -> (engine: PolicyEngine, date: Date) {
        let policy = policy(for: serverName)
        if let cutoff = policy.cutoff {
            let date = max(cutoff, now)
            var e = self
            e.clock = GatewayClock { date }
            return (e, date)
        }
        var enforced = policy
        enforced.mode = .enforce
        enforced.brownouts = []
        var e = self
        e.clock = GatewayClock { now }
        e.replacePolicy(named: policy.name, serverName: serverName, with: enforced)
        return (e, now)
    }

    /// Replaces the policy that governs `serverName` (found by `policy(for:)`) with `replacement`.
    private mutating func replacePolicy(named name: String, serverName: String?, with replacement: HostPolicy) {
        if let key = hostPolicies.first(where: { $0.value.name == name })?.key {
            hostPolicies[key] = replacement
        } else if noSNIPolicy?.name == name, serverName?.isEmpty ?? true {
            noSNIPolicy = replacement
        } else {
            defaultPolicy = replacement
        }
    }

    /// Decides one request on an allowed connection, given the SHA-256 hex of its API key.
    public func decideRequest(_ connection: ConnectionDecision, serverName: String?, apiKeySHA256: String?) -> RequestDecision {
        guard connection.isLegacyClient else { return .proxy(warn: false, rule: nil) }
        if connection.explains || connection.requiresAPIKeyException, let key = apiKeySHA256 {
            let now = clock.now()
            if let exception = activeExceptions(at: now).first(where: {
                $0.matcher == .apiKeySHA256(key) && $0.applies(toHost: serverName)
            }) {
                return .proxy(warn: true, rule: exception.rule)
            }
        }
        if connection.explains || connection.requiresAPIKeyException {
            return .explain(rule: connection.rule)
        }
        return .proxy(warn: connection.addsDeprecationHeaders, rule: nil)
    }

    private func activeExceptions(at now: Date) -> [PolicyException] {
        exceptions.filter { $0.isActive(at: now) }
    }

    private func matchesAtHandshake(_ exception: PolicyException, _ facts: ConnectionFacts) -> Bool {
        guard exception.applies(toHost: facts.serverName) else { return false }
        switch exception.matcher {
        case .network(let range): return facts.clientAddress.map(range.contains) ?? false
        case .serverName(let name): return facts.serverName?.lowercased() == name.lowercased()
        case .apiKeySHA256: return false
        }
    }

    /// A refusal, unless an API-key exception could still let some requests through: then the
    /// handshake completes and requests without a matching key get the explain answer.
    private func refuseOrDefer(_ decision: ConnectionDecision, serverName: String?, now: Date) -> ConnectionDecision {
        var d = decision
        let keyExceptions = activeExceptions(at: now).filter { $0.isAPIKey && $0.applies(toHost: serverName) }
        if !keyExceptions.isEmpty {
            d.action = .legacy
            d.requiresAPIKeyException = true
            d.addsDeprecationHeaders = true
            d.detail += "; handshake allowed for API-key exceptions (\(keyExceptions.map(\.name).joined(separator: ", ")))"
            return d
        }
        d.action = .refuse
        d.addsDeprecationHeaders = false
        return d
    }

    static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}

/// Everything the policy looks at for one connection, known once the ClientHello has arrived.
public struct ConnectionFacts: Sendable, Hashable {
    public var serverName: String?
    public var maxOfferedVersion: ProtocolVersion
    /// The client's IP address in text form.
    public var clientAddress: String?

    public init(serverName: String?, maxOfferedVersion: ProtocolVersion, clientAddress: String?) {
        self.serverName = serverName
        self.maxOfferedVersion = maxOfferedVersion
        self.clientAddress = clientAddress
    }
}

/// Where the gateway gets "now": the system clock in production, a settable one in tests, so a
/// brownout window or a cutoff can be crossed without waiting.
public struct GatewayClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) { self.read = read }

    public func now() -> Date { read() }

    /// The system clock.
    public static let system = GatewayClock { Date() }
}
