import Foundation
import NIOCore
import TLSGateway
import TLSPolicy
import TLSTelemetry
import TLSWire

/// Turns observations (gateway records or access logs) into an `ImpactReport`: each distinct kind
/// of connection is judged once under the tested policy and the refused ones are grouped.
///
/// "Refused" means what the gateway would really do: the policy engine decides (version minimum,
/// cutoff, brownout, exceptions by network, name or API key), then the stored ClientHello is run
/// through the TLS context that decision selects (`HandshakeSimulator`), so a cipher, group or
/// signature tightening is judged as exactly as a version minimum. Without a stored hello the
/// verdict rests on the version alone, and the report says how many connections that covers.
public struct ImpactAnalyzer: Sendable {
    public let policy: ImpactPolicy
    public let profiles: ClientProfileSet

    public init(policy: ImpactPolicy, profiles: ClientProfileSet = .shipped) {
        self.policy = policy
        self.profiles = profiles
    }

    /// Reads the source's window and analyses it, in two reads: the classes (every fact but who
    /// the client is), judged without address or API key — exceptions only ever let more through,
    /// so a class that passes without them passes with them — then the observations with every
    /// fact for only the hellos of the classes that may be refused. A month of records costs what
    /// its distinct hellos and its refused clients cost, not what all its connections do.
    /// `gateways`: only records these gateways wrote (empty: all).
    public func run(source: any ImpactSource, since: Date, until: Date, grouping: ImpactGrouping?,
                    gateways: Set<String> = []) async throws -> ImpactReport {
        let window = source.window(since: since, until: until)
        let written = { (o: ImpactObservation) in gateways.isEmpty || gateways.contains(o.gateway ?? "") }
        let classes = try await source.impactClasses(since: window.since, until: window.until).filter(written)
        let hellos = try await source.clientHellos(hashes: Set(classes.compactMap(\.helloHash)))
        let parsed = hellos.compactMapValues(Self.parse)
        var candidates = Set<ImpactObservation>()
        for c in classes.map(Self.classOf) {
            let flight = c.helloHash.flatMap { parsed[$0] }
            guard let maxVersion = Self.maxVersion(c, flight), judge(c, maxVersion: maxVersion, flight: flight).refused
            else { continue }
            candidates.insert(c)
        }
        var details: [ImpactObservation] = []
        if !candidates.isEmpty {
            details = try await source.impactObservations(since: window.since, until: window.until,
                                                          helloHashes: Set(candidates.map { $0.helloHash ?? "" }))
                .filter { written($0) && candidates.contains(Self.classOf($0)) }
        }
        // Whether API keys were recorded decides the default grouping. The classes carry none, so
        // when nothing may be refused (no details read) an empty report says "by client".
        let sawAPIKeys = details.contains { $0.apiKey != nil } || classes.contains { $0.apiKey != nil }
        return analyze(classes: classes, details: details, parsed: parsed, source: source.sourceDescription,
                       since: window.since, until: window.until,
                       grouping: grouping ?? (sawAPIKeys ? .apikey : .client), sourceLimitations: source.limitations)
    }

    /// The report for these observations (each with every fact). `grouping` nil: by API key when
    /// any was recorded, else by client.
    public func analyze(_ observations: [ImpactObservation], hellos: [String: ClientHelloRecord], source: String,
                        since: Date, until: Date, grouping: ImpactGrouping?, sourceLimitations: [String] = []) -> ImpactReport {
        analyze(classes: observations, details: observations, parsed: hellos.compactMapValues(Self.parse), source: source,
                since: since, until: until, grouping: grouping ?? (observations.contains { $0.apiKey != nil } ? .apikey : .client),
                sourceLimitations: sourceLimitations)
    }

    /// Totals from `classes` (all of the window's traffic), refused groups from `details` (every
    /// fact, at least all that may be refused).
    func analyze(classes: [ImpactObservation], details: [ImpactObservation], parsed: [String: ClientHelloFlight],
                 source: String, since: Date, until: Date, grouping: ImpactGrouping,
                 sourceLimitations: [String]) -> ImpactReport {
        var totals = ImpactReport.Totals()
        var builders: [String: GroupBuilder] = [:]
        var verdicts: [VerdictKey: ImpactVerdict] = [:]
        var refused = RefusedSets()
        var notJudged = 0
        var helloMissing = 0
        var replayedHellos = Set<String>()
        let exceptions = policy.runtime.policy.exceptions
        let looksAt = (address: exceptions.contains { if case .network = $0.matcher { true } else { false } },
                       apiKey: exceptions.contains(where: \.isAPIKey))

        for o in classes {
            totals.connections += o.connections
            totals.requests += o.requests
            let flight = o.helloHash.flatMap { parsed[$0] }
            if o.helloHash != nil && flight == nil { helloMissing += o.connections }
            guard Self.maxVersion(o, flight) != nil else {
                notJudged += o.connections
                continue
            }
            if flight != nil {
                totals.connectionsReplayed += o.connections
                if let h = o.helloHash { replayedHellos.insert(h) }
            } else {
                totals.connectionsByVersionOnly += o.connections
            }
        }
        for o in details {
            let flight = o.helloHash.flatMap { parsed[$0] }
            guard let maxVersion = Self.maxVersion(o, flight) else { continue }
            let key = VerdictKey(o, maxVersion: maxVersion, hasHello: flight != nil, looksAt: looksAt)
            let verdict: ImpactVerdict
            if let known = verdicts[key] {
                verdict = known
            } else {
                verdict = judge(o, maxVersion: maxVersion, flight: flight)
                verdicts[key] = verdict
            }
            guard verdict.refused else { continue }
            let identity = profiles.identify(ja4: o.ja4 ?? flight.map { ClientFingerprint($0.hello).ja4 }, userAgent: o.userAgent)
            totals.refusedConnections += o.connections
            totals.refusedRequests += o.requests
            if o.outcome == "refused" { totals.alreadyRefusedConnections += o.connections }
            refused.add(o, identity: identity)
            let value = Self.groupValue(o, grouping: grouping, identity: identity)
            builders[value, default: GroupBuilder(key: value)].add(o, verdict: verdict, identity: identity, flight: flight,
                                                                   maxVersion: maxVersion)
        }
        totals.apiKeys = refused.apiKeys.count
        totals.userAgents = refused.userAgents.count
        totals.clients = refused.clients.count
        totals.addresses = refused.addresses.count
        totals.distinctHellosReplayed = replayedHellos.count
        totals.notJudged = notJudged
        totals.refusedShare = totals.connections == 0 ? 0 : Double(totals.refusedConnections) * 100 / Double(totals.connections)

        var limitations = sourceLimitations
        if totals.connectionsByVersionOnly > 0 && classes.contains(where: { $0.source == "gateway" }) {
            limitations.append("\(totals.connectionsByVersionOnly) connections have no stored ClientHello (recorded before "
                + "records schema v2, or no usable hello): judged by their offered maximum version only")
        }
        if helloMissing > 0 {
            limitations.append("\(helloMissing) connections name a ClientHello the store does not hold (or cannot parse)")
        }
        if notJudged > 0 {
            limitations.append("\(notJudged) connections sent no usable ClientHello (plain HTTP, garbage, timeouts): not judged")
        }
        let total = totals.connections
        let groups = builders.values.map { $0.group(totalConnections: total) }
            .sorted { ($0.connections, $0.requests, $1.key) > ($1.connections, $1.requests, $0.key) }
        return ImpactReport(source: source, since: since, until: until, policy: policy.summary, groupedBy: grouping,
                            totals: totals, groups: groups, limitations: limitations, clientTableVersion: profiles.version)
    }

    // MARK: Judging

    /// The verdict for one kind of connection: the policy's decision, then the TLS context's.
    func judge(_ o: ImpactObservation, maxVersion: ProtocolVersion, flight: ClientHelloFlight?) -> ImpactVerdict {
        let (engine, _) = policy.engine(for: o.serverName)
        let facts = ConnectionFacts(serverName: o.serverName, maxOfferedVersion: maxVersion, clientAddress: o.clientAddress)
        let d = engine.decide(facts)
        let basis: ImpactVerdict.Basis = flight == nil ? .versionOnly : .replayed
        var v = ImpactVerdict(refused: false, reason: nil, rule: d.rule, basis: basis, minimum: d.policy.minimumVersion, negotiated: nil)
        if d.action == .refuse {
            v.refused = true
            v.reason = "maximum version \(maxVersion.displayName): \(d.detail)"
            return v
        }
        if flight?.hello.isSSLv2Format == true {
            v.refused = true
            v.reason = "SSL 2.0-format ClientHello: the gateway closes the connection"
            return v
        }
        if d.explains || d.requiresAPIKeyException {
            switch engine.decideRequest(d, serverName: o.serverName, apiKeySHA256: Self.apiKeySHA256(o.apiKey)) {
            case .explain(let rule):
                v.refused = true
                v.rule = rule
                let status = d.policy.explain?.status ?? 426
                v.reason = "the handshake completes but every request gets the HTTP \(status) deprecation answer (\(d.detail))"
                return v
            case .proxy(_, let rule):
                if let rule { v.rule = rule }
            }
        }
        let rebuilt = flight == nil
        guard let flight = flight ?? Self.rebuiltHello(o, maxVersion: maxVersion) else { return v }
        let floor: TLSContextSet.Floor = d.action == .legacy ? .legacy : .strict(d.policy.minimumVersion)
        let context = policy.runtime.contexts.context(serverName: o.serverName, prefersECDSA: flight.hello.canVerifyECDSA, floor: floor)
        let cache = policy.runtime.simulations
        switch HandshakeSimulator.run(flight.hello, recordVersion: flight.recordVersion, context: context, cache: cache) {
        case .accepted(let version, let suite, _):
            v.negotiated = "\(version.displayName) \(suite.name)"
        case .refused(let alert, let reason):
            v.refused = true
            let accepted = HandshakeSimulator.acceptedSuites(flight.hello, recordVersion: flight.recordVersion,
                                                             context: context, cache: cache)
            let answer = alert.map { "the server sends \($0.name)" } ?? reason
            v.reason = accepted.isEmpty
                ? "no cipher suite in common: the policy's TLS context accepts none of the client's suites (\(answer))"
                : "no shared group or signature algorithm: suites match, the handshake still fails (\(answer))"
            if rebuilt { v.reason! += " — judged on a hello rebuilt from the logged version, suites and groups" }
        }
        return v
    }

    /// For a log line with `$ssl_ciphers` (and `$ssl_curves`): a hello rebuilt from the logged
    /// version, suites and groups, so a cipher or group tightening is judged on logs too. An
    /// approximation (extensions and signature algorithms are ours), marked `version-only` still.
    static func rebuiltHello(_ o: ImpactObservation, maxVersion: ProtocolVersion) -> ClientHelloFlight? {
        guard let listed = o.offeredSuites else { return nil }
        let suites = listed.split(separator: ",").compactMap { CipherSuiteInfo.named(iana: String($0))?.suite }
        guard !suites.isEmpty else { return nil }
        var b = ClientHelloBuilder(version: maxVersion, cipherSuites: suites, serverName: o.serverName)
        if let groups = o.offeredGroups {
            let known = Dictionary(NamedGroup.allKnown.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let offered = groups.split(separator: ",").compactMap { known[String($0)] }
            if !offered.isEmpty {
                b.groups = offered
                b.keyShareGroups = offered.filter { [.x25519, .secp256r1, .secp384r1, .secp521r1].contains($0) }.prefix(1).map { $0 }
            }
        }
        return ClientHelloFlight(hello: b.build(), recordVersion: .tls10, recordCount: 1, wireLength: 0)
    }

    /// The best version the client offered: from its hello, its record, or (logs) what it negotiated.
    static func maxVersion(_ o: ImpactObservation, _ flight: ClientHelloFlight?) -> ProtocolVersion? {
        if let flight, let v = try? flight.hello.maxOfferedVersion() { return v }
        if let text = o.maxOfferedVersion, let v = ProtocolVersion(parsing: text) { return v }
        return o.negotiatedVersion.flatMap(ProtocolVersion.init(parsing:))
    }

    /// The hex SHA-256 the policy's API-key exceptions match: records hold `sha256:<hex>` (hashed)
    /// or the key itself (`apiKeyStorage: plain`).
    static func apiKeySHA256(_ stored: String?) -> String? {
        guard let stored, !stored.isEmpty else { return nil }
        if stored.hasPrefix("sha256:") { return String(stored.dropFirst(7)) }
        return APIKeyHash.sha256Hex(stored)
    }

    static func parse(_ record: ClientHelloRecord) -> ClientHelloFlight? {
        var reader = ClientHelloReader(maxFlightBytes: 64 * 1024)
        reader.feed(bytes: record.bytes)
        return try? reader.read()
    }

    // MARK: Grouping

    static func groupValue(_ o: ImpactObservation, grouping: ImpactGrouping, identity: ClientIdentity) -> String {
        switch grouping {
        case .apikey: return o.apiKey ?? "(no API key)"
        case .ip: return o.clientAddress ?? "(unknown address)"
        case .subnet: return o.clientAddress.map(subnet) ?? "(unknown address)"
        case .useragent: return o.userAgent ?? "(no user agent)"
        case .ja4: return o.ja4 ?? "(no JA4)"
        case .client: return identity.name
        case .sni: return o.serverName ?? "(no SNI)"
        }
    }

    /// The /24 of an IPv4 address, the /64 of an IPv6 one.
    static func subnet(_ address: String) -> String {
        if address.contains(":") {
            var groups = address.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if let gap = groups.firstIndex(of: ""), address.contains("::") {
                let missing = 8 - groups.filter { !$0.isEmpty }.count
                groups.removeAll { $0.isEmpty }
                groups.insert(contentsOf: Array(repeating: "0", count: missing), at: min(gap, groups.count))
            }
            return groups.prefix(4).joined(separator: ":") + "::/64"
        }
        let parts = address.split(separator: ".")
        guard parts.count == 4 else { return address }
        return parts.prefix(3).joined(separator: ".") + ".0/24"
    }

    /// What makes two observations' verdicts equal: the hello (or version), the host, and the
    /// address and API key when some exception looks at them. The handshake simulations behind the
    /// verdicts are cached per hello and context by `HandshakeSimulator.Cache`.
    struct VerdictKey: Hashable {
        var hello: String?
        var maxVersion: ProtocolVersion
        var serverName: String?
        var clientAddress: String?
        var apiKey: String?
        /// A log's offered suites and groups (they make the rebuilt hello).
        var offered: String?

        init(_ o: ImpactObservation, maxVersion: ProtocolVersion, hasHello: Bool, looksAt: (address: Bool, apiKey: Bool)) {
            hello = hasHello ? o.helloHash : nil
            self.maxVersion = maxVersion
            serverName = o.serverName?.lowercased()
            clientAddress = looksAt.address ? o.clientAddress : nil
            apiKey = looksAt.apiKey ? o.apiKey : nil
            offered = hasHello ? nil : o.offeredSuites.map { $0 + "|" + (o.offeredGroups ?? "") }
        }
    }

    /// The observation's class: without who the client is (address, API key, user agent) and
    /// without its counts — what `impactClasses` aggregates by, and what is judged in step one.
    static func classOf(_ o: ImpactObservation) -> ImpactObservation {
        var c = o
        (c.clientAddress, c.apiKey, c.userAgent) = (nil, nil, nil)
        (c.connections, c.requests, c.firstSeen, c.lastSeen) = (0, 0, .distantPast, .distantPast)
        return c
    }

    struct RefusedSets {
        var apiKeys = Set<String>()
        var userAgents = Set<String>()
        var clients = Set<String>()
        var addresses = Set<String>()

        mutating func add(_ o: ImpactObservation, identity: ClientIdentity) {
            if let k = o.apiKey { apiKeys.insert(k) }
            if let u = o.userAgent { userAgents.insert(u) }
            clients.insert(identity.name)
            if let a = o.clientAddress { addresses.insert(a) }
        }
    }
}

/// Accumulates one group of the report.
struct GroupBuilder {
    let key: String
    var connections = 0
    var requests = 0
    var firstSeen = Date.distantFuture
    var lastSeen = Date.distantPast
    var maxVersions = Set<ProtocolVersion>()
    var suites: [String] = []
    var clients: [String] = []
    var serverNames = Set<String>()
    var addresses = Set<String>()
    var apiKeys = Set<String>()
    var userAgents: [String] = []
    var reasons: [String] = []
    var fixes: [String] = []
    var alreadyRefused = 0
    var basis = Set<String>()

    init(key: String) { self.key = key }

    mutating func add(_ o: ImpactObservation, verdict: ImpactVerdict, identity: ClientIdentity, flight: ClientHelloFlight?,
                      maxVersion: ProtocolVersion) {
        connections += o.connections
        requests += o.requests
        firstSeen = min(firstSeen, o.firstSeen)
        lastSeen = max(lastSeen, o.lastSeen)
        maxVersions.insert(maxVersion)
        let offered = flight.map { $0.hello.cipherSuites.filter { !$0.isGREASE && !$0.isSCSV }.map(\.name) }
            ?? o.offeredSuites.map { $0.split(separator: ",").map(String.init) } ?? []
        for s in offered where !suites.contains(s) { suites.append(s) }
        Self.appendNew(identity.name, to: &clients)
        if let n = o.serverName { serverNames.insert(n) }
        if let a = o.clientAddress { addresses.insert(a) }
        if let k = o.apiKey { apiKeys.insert(k) }
        if let u = o.userAgent { Self.appendNew(u, to: &userAgents) }
        if let r = verdict.reason { Self.appendNew(r, to: &reasons) }
        // The client table's fixes are about reaching TLS 1.2; a TLS 1.3 minimum gets the TLS 1.3 one.
        let familyFix = verdict.minimum >= .tls13 ? nil : identity.fix
        Self.appendNew(familyFix ?? Self.genericFix(verdict), to: &fixes)
        if o.outcome == "refused" { alreadyRefused += o.connections }
        basis.insert(verdict.basis.rawValue)
    }

    func group(totalConnections: Int) -> ImpactReport.Group {
        ImpactReport.Group(
            key: key, connections: connections, requests: requests,
            share: totalConnections == 0 ? 0 : Double(connections) * 100 / Double(totalConnections),
            firstSeen: firstSeen, lastSeen: lastSeen,
            maxVersions: maxVersions.sorted(by: >).map(\.displayName), offeredSuites: suites, clients: clients,
            serverNames: serverNames.sorted(), addresses: addresses.count, apiKeys: apiKeys.count, userAgents: userAgents,
            reasons: reasons, fixes: fixes, alreadyRefused: alreadyRefused, basis: basis.sorted())
    }

    static func appendNew(_ s: String, to list: inout [String]) {
        if !list.contains(s) { list.append(s) }
    }

    /// The fix when the client table knows nothing about the client.
    static func genericFix(_ verdict: ImpactVerdict) -> String {
        if verdict.reason?.hasPrefix("no cipher suite") == true {
            return "Offer an AEAD suite such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (TLS 1.2) or any TLS 1.3 suite."
        }
        if verdict.reason?.hasPrefix("no shared group") == true {
            return "Offer the x25519 or secp256r1 group and an RSA-PSS or ECDSA signature algorithm."
        }
        let v = verdict.minimum.displayName
        if verdict.minimum >= .tls13 {
            return "Upgrade the client or its TLS library to one that offers TLS 1.3 (OpenSSL 1.1.1+, Java 11+, "
                + ".NET 5+ on Windows 11/Server 2022, Python 3.7+ with OpenSSL 1.1.1), or enable TLS 1.3 in its settings."
        }
        return "Upgrade the client or its TLS library to one that offers \(v) or newer (OpenSSL 1.0.1+, Java 8+, "
            + ".NET Framework 4.6.2+, Python 3.4+), or enable \(v) in its settings."
    }
}
