import Foundation
import TLSReport
import TLSWire
import Yams

/// A compliance profile: versioned data, shipped as YAML in `Profiles/` or given as a YAML or JSON
/// file. Documented in docs/profiles.md.
public struct Profile: Codable, Sendable {
    /// Bumped when the file format changes.
    public static let formatVersion = 1

    public var format: Int
    public var id: String
    public var name: String
    public var version: String
    public var description: String
    public var source: String?
    public var requirements: [Requirement]

    public struct Requirement: Codable, Sendable {
        public var id: String
        public var title: String
        public var level: RequirementResult.Level?
        /// A key into the remediation catalogue (`legacy-protocols`, `weak-suites`, …).
        public var remediation: String?
        // Exactly one rule:
        public var protocols: ProtocolsRule?
        public var cipherSuites: CipherSuitesRule?
        public var groups: GroupsRule?
        public var certificate: CertificateRule?
        public var dhParameters: DHRule?
        public var weaknesses: WeaknessesRule?
        public var features: FeaturesRule?
        public var hsts: HSTSRule?

        static let ruleKeys: Set<String> = ["protocols", "cipherSuites", "groups", "certificate", "dhParameters", "weaknesses", "features", "hsts"]
        static let otherKeys: Set<String> = ["id", "title", "level", "remediation"]
    }

    public struct ProtocolsRule: Codable, Sendable {
        /// Only these may be offered.
        public var allowed: [String]?
        /// Each of these must be offered.
        public var required: [String]?
    }

    public struct CipherSuitesRule: Codable, Sendable {
        /// Limit the rule to these versions (default: every version offered).
        public var versions: [String]?
        /// Only these IANA names may be accepted.
        public var allowed: [String]?
        /// Classes that may not be accepted: insecure, weak, cbc, noForwardSecrecy, sha1, rc4,
        /// 3des, 64bitBlock, export, null, anonymous, rsaKeyExchange, md5, notAES.
        public var forbid: [String]?
        public var minimumBits: Int?
    }

    public struct GroupsRule: Codable, Sendable {
        /// Only these groups may be accepted (names as in the report: x25519, secp256r1, X25519MLKEM768 …).
        public var allowed: [String]?
        public var minimumBits: Int?
    }

    public struct CertificateRule: Codable, Sendable {
        public var trusted: Bool?
        public var hostname: Bool?
        public var minimumRSABits: Int?
        public var minimumECBits: Int?
        /// Hashes that may not sign the leaf or intermediates: sha1, md5.
        public var forbidSignatures: [String]?
        /// Key types allowed for the leaf: RSA, ECDSA, Ed25519.
        public var keyTypes: [String]?
        public var maximumValidityDays: Int?
    }

    public struct DHRule: Codable, Sendable { public var minimumBits: Int }

    public struct WeaknessesRule: Codable, Sendable {
        /// Finding ids that must be checked and not vulnerable.
        public var notVulnerable: [String]
    }

    public struct FeaturesRule: Codable, Sendable {
        /// secureRenegotiation, extendedMasterSecret, ocspStapling, noCompression.
        public var require: [String]
    }

    public struct HSTSRule: Codable, Sendable { public var minimumMaxAge: Int }
}

/// A profile file that cannot be used: names the file and the problem in one line.
public struct ProfileError: Error, CustomStringConvertible, Sendable {
    public var source: String
    public var problem: String
    public var description: String { "profile '\(source)': \(problem)" }
}

extension Profile {
    /// The profiles shipped with the tool, by id.
    public static func builtIn() throws -> [Profile] {
        guard let dir = Bundle.module.url(forResource: "Profiles", withExtension: nil) else {
            throw ProfileError(source: "built-in", problem: "the Profiles resource is missing from the bundle")
        }
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { try load(path: $0.path) }
    }

    /// A built-in profile by id, or a YAML/JSON file by path.
    public static func resolve(_ nameOrPath: String) throws -> Profile {
        if let p = try builtIn().first(where: { $0.id == nameOrPath }) { return p }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.hasSuffix(".json") {
            return try load(path: nameOrPath)
        }
        let known = (try? builtIn().map(\.id).joined(separator: ", ")) ?? ""
        throw ProfileError(source: nameOrPath, problem: "no such built-in profile (known: \(known)) and not a file path")
    }

    public static func load(path: String) throws -> Profile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfileError(source: path, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// Parses YAML (JSON is YAML too) and checks it: known keys only, exactly one rule per requirement.
    public static func parse(_ text: String, source: String) throws -> Profile {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ProfileError(source: source, problem: "not valid YAML or JSON: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        // Yams' untyped loader force-unwraps every mapping key as a string and traps on a sequence or
        // mapping used as a key (YAML 1.2 §7.4.2 allows them; `{[a]: 1}` crashed here, found by
        // FuzzTesting/FuzzProfile), so the keys are checked before it sees the tree.
        if let root, let problem = Self.nonStringKey(in: root) {
            throw ProfileError(source: source, problem: problem)
        }
        let raw = root?.any
        guard let top = raw as? [String: Any] else { throw ProfileError(source: source, problem: "the top level must be a mapping") }
        let topKeys: Set<String> = ["format", "id", "name", "version", "description", "source", "requirements"]
        if let unknown = top.keys.first(where: { !topKeys.contains($0) }) {
            throw ProfileError(source: source, problem: "unknown key '\(unknown)' (known: \(topKeys.sorted().joined(separator: ", ")))")
        }
        for (i, r) in ((top["requirements"] as? [Any]) ?? []).enumerated() {
            guard let req = r as? [String: Any] else { throw ProfileError(source: source, problem: "requirement \(i + 1) is not a mapping") }
            let name = (req["id"] as? String) ?? "#\(i + 1)"
            if let unknown = req.keys.first(where: { !Requirement.ruleKeys.contains($0) && !Requirement.otherKeys.contains($0) }) {
                throw ProfileError(source: source, problem: "requirement '\(name)': unknown key '\(unknown)' (rules: \(Requirement.ruleKeys.sorted().joined(separator: ", ")))")
            }
            let rules = req.keys.filter { Requirement.ruleKeys.contains($0) }
            guard rules.count == 1 else {
                throw ProfileError(source: source, problem: "requirement '\(name)' must have exactly one rule, has \(rules.count)")
            }
        }
        let profile: Profile
        do { profile = try YAMLDecoder().decode(Profile.self, from: text) } catch let DecodingError.keyNotFound(key, ctx) {
            throw ProfileError(source: source, problem: "missing '\(key.stringValue)'\(path(ctx.codingPath))")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw ProfileError(source: source, problem: "wrong type\(path(ctx.codingPath)): \(ctx.debugDescription)")
        } catch {
            throw ProfileError(source: source, problem: "\(error)")
        }
        guard profile.format == formatVersion else {
            throw ProfileError(source: source, problem: "format \(profile.format) is not supported (this tlsguard reads format \(formatVersion))")
        }
        for r in profile.requirements {
            for v in (r.protocols?.allowed ?? []) + (r.protocols?.required ?? []) + (r.cipherSuites?.versions ?? []) where ProtocolVersion(parsing: v) == nil {
                throw ProfileError(source: source, problem: "requirement '\(r.id)': unknown protocol version '\(v)'")
            }
            for c in r.cipherSuites?.forbid ?? [] where !SuiteClass.all.contains(c) {
                throw ProfileError(source: source, problem: "requirement '\(r.id)': unknown suite class '\(c)' (known: \(SuiteClass.all.sorted().joined(separator: ", ")))")
            }
            for name in r.cipherSuites?.allowed ?? [] where CipherSuiteInfo.named(iana: name) == nil {
                throw ProfileError(source: source, problem: "requirement '\(r.id)': unknown cipher suite '\(name)' (use IANA names)")
            }
            if let rem = r.remediation, Remediation.catalogue[rem] == nil {
                throw ProfileError(source: source, problem: "requirement '\(r.id)': unknown remediation '\(rem)' (known: \(Remediation.catalogue.keys.sorted().joined(separator: ", ")))")
            }
        }
        return profile
    }

    /// Why `node` cannot be loaded untyped: a mapping key that is not a scalar, or a tree beyond
    /// `maxNodes` nodes (aliases repeat subtrees, so a small file can stand for a huge tree).
    static func nonStringKey(in node: Node, maxNodes: Int = 100_000) -> String? {
        var pending = [node]
        var visited = 0
        while let next = pending.popLast() {
            visited += 1
            if visited > maxNodes { return "more than \(maxNodes) YAML nodes" }
            switch next {
            case .scalar, .alias: break
            case .sequence(let sequence): pending.append(contentsOf: sequence)
            case .mapping(let mapping):
                for (key, value) in mapping {
                    guard key.scalar != nil else { return "a mapping key must be a string (at line \(key.mark.map { "\($0.line)" } ?? "?"))" }
                    pending.append(value)
                }
            }
        }
        return nil
    }

    private static func path(_ codingPath: [CodingKey]) -> String {
        codingPath.isEmpty ? "" : " at " + codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Named classes of suites a profile can forbid.
enum SuiteClass {
    static let all: Set<String> = ["insecure", "weak", "cbc", "noForwardSecrecy", "sha1", "rc4", "3des", "64bitBlock", "export",
                                   "null", "anonymous", "rsaKeyExchange", "md5", "notAES"]

    static func matches(_ c: String, _ s: CipherSuiteInfo) -> Bool {
        switch c {
        case "insecure": return s.suite.strength.rating == .insecure
        case "weak": return s.suite.strength.rating >= .weak
        case "cbc": return s.mode == .cbc
        case "noForwardSecrecy": return !s.forwardSecrecy
        case "sha1": return s.mac == "SHA"
        case "md5": return s.mac == "MD5"
        case "rc4": return s.cipher.hasPrefix("RC4")
        case "3des": return s.cipher.hasPrefix("3DES")
        case "64bitBlock": return s.blockBits == 64
        case "export": return s.isExport
        case "null": return s.mode == .null
        case "anonymous": return s.isAnonymous
        case "rsaKeyExchange": return s.keyExchange == .rsa || s.keyExchange == .rsaExport
        case "notAES": return !s.cipher.hasPrefix("AES")
        default: return false
        }
    }
}
