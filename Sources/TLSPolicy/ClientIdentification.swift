import Foundation
import TLSWire

/// Who a client is, as far as its fingerprint and user agent tell: what `tlsguard impact` and the
/// client check print beside each group of clients, with the fix for that client family.
public struct ClientIdentity: Sendable, Hashable, Codable {
    /// How the name was found, most certain first.
    public enum Match: String, Sendable, Hashable, Codable {
        /// The JA4 equals a shipped profile's.
        case ja4
        /// The JA4's cipher and extension hashes equal a profile's (SNI, ALPN or version differ).
        case ja4Hashes
        /// Only the user agent names it.
        case userAgent
        case unknown
    }

    /// e.g. "curl 7.88 (OpenSSL 3.0)", "Java 17 (JSSE, HttpsURLConnection, TLS 1.0 only)", "unknown (JA4 t10d…)".
    public var name: String
    /// `curl`, `openssl`, `python`, `java`, `dotnet`, `windows`, `node`, `go`, `gnutls`, `perl`, `wget`,
    /// `tlslite`, `browser`, `android`, `apple`, or `unknown`; several profiles of different families
    /// sharing one JA4 give their families joined with `+`.
    public var family: String
    public var match: Match
    /// What to change on that client so it connects with TLS 1.2 or newer.
    public var fix: String?
    /// The ids of the shipped profiles behind the name (`.ja4`, `.ja4Hashes`); empty otherwise.
    public var profiles: [String]
    /// How the name was chosen when it was not one profile's exact JA4 alone.
    public var note: String?

    public init(name: String, family: String, match: Match, fix: String?, profiles: [String] = [], note: String? = nil) {
        self.name = name
        self.family = family
        self.match = match
        self.fix = fix
        self.profiles = profiles
        self.note = note
    }

    enum CodingKeys: String, CodingKey { case name, family, match, fix, profiles, note }

    /// Reads identities written before `profiles` and `note` existed, too.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        family = try c.decode(String.self, forKey: .family)
        match = try c.decode(Match.self, forKey: .match)
        fix = try c.decodeIfPresent(String.self, forKey: .fix)
        profiles = try c.decodeIfPresent([String].self, forKey: .profiles) ?? []
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }
}

/// The shipped, versioned table of known clients: the exact ClientHellos of real clients, captured
/// with their provenance by `scripts/capture-client-hellos` (docs/client-profiles.md).
public struct ClientProfileSet: Sendable, Hashable {
    /// The file format this build reads.
    public static let format = 1

    /// Version of the table: the date of its last change (`YYYY-MM-DD`, `.N` for a second change that day).
    public var version: String
    /// The server name the clients were pointed at during the capture (it is in each hello's SNI).
    public var hostName: String
    public var profiles: [ClientProfile]

    public init(version: String, hostName: String = "", profiles: [ClientProfile] = []) {
        self.version = version
        self.hostName = hostName
        self.profiles = profiles
    }

    /// The table shipped with this build (`ClientProfiles/clients.json`). Should the resource not
    /// load, an empty table versioned "unavailable": `loadShipped()` tells why (and the tests fail).
    public static let shipped: ClientProfileSet = (try? loadShipped()) ?? ClientProfileSet(version: "unavailable")

    /// Reads the shipped table, throwing on a missing resource or any profile that does not parse.
    public static func loadShipped() throws -> ClientProfileSet {
        guard let url = Bundle.module.url(forResource: "clients", withExtension: "json", subdirectory: "ClientProfiles") else {
            throw ClientProfileError(profile: nil, problem: "ClientProfiles/clients.json is missing from the bundle")
        }
        return try decode(Data(contentsOf: url))
    }

    public static func decode(_ data: Data) throws -> ClientProfileSet {
        try JSONDecoder().decode(ClientProfileSet.self, from: data)
    }

    /// The table as the file stores it: sorted keys, two-space indent, one trailing newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public func profile(id: String) -> ClientProfile? { profiles.first { $0.id == id } }

    /// Names a client by its hello's JA4, then user agent.
    public func identify(hello: ClientHello, userAgent: String?) -> ClientIdentity {
        identify(ja4: ClientFingerprint(hello).ja4, userAgent: userAgent)
    }

    /// Names a client: a profile with this exact JA4; else a profile with the same JA4 cipher and
    /// extension hashes (the 2nd and 3rd `_` parts: the same suites, extensions and signature
    /// algorithms, with SNI, ALPN or the version differing); else the user-agent rules; else
    /// "unknown (JA4 …)". When several profiles fit, the user agent picks among them where it
    /// names one of their families; otherwise they are named together.
    public func identify(ja4: String?, userAgent: String?) -> ClientIdentity {
        let rule = userAgent.flatMap(UserAgentRules.identify)
        if let ja4, !ja4.isEmpty {
            let exact = profiles.filter { $0.ja4 == ja4 }
            if !exact.isEmpty { return identity(exact, match: .ja4, ja4: ja4, userAgent: userAgent, rule: rule) }
            let parts = ja4.split(separator: "_", omittingEmptySubsequences: false)
            if parts.count == 3 {
                let similar = profiles.filter {
                    let q = $0.ja4.split(separator: "_", omittingEmptySubsequences: false)
                    return q.count == 3 && q[1] == parts[1] && q[2] == parts[2]
                }
                // The same offered version first (a part's characters 2–3), then any.
                let sameVersion = similar.filter { $0.ja4.dropFirst().prefix(2) == ja4.dropFirst().prefix(2) }
                let candidates = sameVersion.isEmpty ? similar : sameVersion
                if !candidates.isEmpty {
                    return identity(candidates, match: .ja4Hashes, ja4: ja4, userAgent: userAgent, rule: rule)
                }
            }
        }
        if let rule {
            return ClientIdentity(name: rule.name, family: rule.family, match: .userAgent, fix: ClientRemediation.fix(rule.kind))
        }
        return ClientIdentity(name: "unknown (JA4 \(ja4.flatMap { $0.isEmpty ? nil : $0 } ?? "none"))", family: "unknown",
                              match: .unknown, fix: nil)
    }

    private func identity(_ candidates: [ClientProfile], match: ClientIdentity.Match, ja4: String,
                          userAgent: String?, rule: UserAgentRules.Rule?) -> ClientIdentity {
        var chosen = candidates
        var note: String?
        if candidates.count > 1 {
            let byAgent = candidates.filter { $0.userAgent != nil && $0.userAgent == userAgent }
            let byFamily = rule.map { r in candidates.filter { $0.family == r.family } } ?? []
            if !byAgent.isEmpty {
                chosen = byAgent
            } else if !byFamily.isEmpty {
                chosen = byFamily
            }
            if chosen.count < candidates.count {
                let others = candidates.filter { !chosen.contains($0) }.map(\.id)
                note = "picked by the user agent among \(candidates.count) profiles with this hello; "
                    + "also: \(others.joined(separator: ", "))"
            } else {
                note = "\(candidates.count) shipped profiles send this hello; named together"
            }
        }
        if match == .ja4Hashes {
            let differs = "same cipher and extension hashes as \(chosen.map(\.id).joined(separator: ", ")); "
                + "JA4 \(ja4.prefix(10)) vs \(chosen[0].ja4.prefix(10)) (version, SNI, counts or ALPN differ)"
            note = note.map { differs + "; " + $0 } ?? differs
        }
        let families = chosen.map(\.family).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let fix: String? = families.count == 1
            ? ClientRemediation.fix(family: families[0])
            : families.compactMap { f in ClientRemediation.fix(family: f).map { "\(f): \($0)" } }.joined(separator: " ")
        return ClientIdentity(name: Self.together(chosen.map(\.name)), family: families.joined(separator: "+"),
                              match: match, fix: fix, profiles: chosen.map(\.id), note: note)
    }

    /// "A", "A or B", "A, B or C", "A, B, C or 2 more".
    static func together(_ names: [String]) -> String {
        switch names.count {
        case 0: return ""
        case 1: return names[0]
        case 2, 3: return names.dropLast().joined(separator: ", ") + " or " + names.last!
        default: return names.prefix(3).joined(separator: ", ") + " or \(names.count - 3) more"
        }
    }
}

extension ClientProfileSet: Codable {
    enum CodingKeys: String, CodingKey { case format, version, hostName, profiles }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let format = try c.decode(Int.self, forKey: .format)
        guard format == Self.format else {
            throw ClientProfileError(profile: nil, problem: "format \(format); this build reads format \(Self.format)")
        }
        version = try c.decode(String.self, forKey: .version)
        hostName = try c.decode(String.self, forKey: .hostName)
        profiles = try c.decode([ClientProfile].self, forKey: .profiles)
        var seen = Set<String>()
        for p in profiles where !seen.insert(p.id).inserted {
            throw ClientProfileError(profile: p.id, problem: "the id is used twice")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.format, forKey: .format)
        try c.encode(version, forKey: .version)
        try c.encode(hostName, forKey: .hostName)
        try c.encode(profiles, forKey: .profiles)
    }
}
