import Foundation
import TLSWire

/// What the client check says about one client: its ClientHello taken apart, the same verdicts
/// and keys as How's My SSL (so scripts written for it keep working), and whether the client will
/// still connect under the configured policy, now and after the cutoff.
///
/// Served as JSON by `/api/v1/check` (schema `docs/clientcheck-schema.json`) and rendered as the
/// check's web page. Keys are snake_case; the How's My SSL keys keep their names and meanings.
public struct ClientCheckReport: Codable, Sendable, Hashable {
    public static let schemaVersion = 1

    public var schemaVersion = Self.schemaVersion
    /// When the report was made (ISO 8601).
    public var checkedAt: String
    /// `live`: the connection this answer travels on; `lookup`: the last hello seen from the
    /// caller's address (plain-HTTP lookup for clients that cannot finish a handshake).
    public var source: String
    public var client: Client
    /// For lookups: what the gateway did with that connection.
    public var connection: SeenConnection?

    // MARK: How's My SSL keys (same names and meanings)
    public var givenCipherSuites: [String]
    public var givenNamedGroups: [String]
    public var givenSignatureAlgorithms: [String]
    public var postQuantumKeyAgreement: Bool
    public var ephemeralKeysSupported: Bool
    public var sessionTicketSupported: Bool
    public var tlsCompressionSupported: Bool
    public var unknownCipherSuiteSupported: Bool
    public var beastVuln: Bool
    public var ableToDetectNMinusOneSplitting: Bool
    public var insecureCipherSuites: [String: [String]]
    public var tlsVersion: String
    public var rating: String

    // MARK: tlsguard's own keys
    /// Why the rating is not "Probably Okay".
    public var ratingReasons: [String]
    public var versions: Versions
    public var cipherSuites: [Suite]
    public var namedGroups: [Group]
    public var signatureAlgorithms: [Named]
    public var alpn: [String]
    public var sni: String?
    public var compressionMethods: [Int]
    public var scsv: SCSV
    public var extensions: [Named]
    public var fingerprints: Fingerprints
    /// What this connection negotiated (nil for lookups of refused or failed handshakes).
    public var negotiated: Negotiated?
    public var policy: PolicyReport
    /// One sentence: the answer to "will my client still connect after the cutoff?".
    public var verdict: String

    public struct Client: Codable, Sendable, Hashable {
        public var address: String
        public var userAgent: String?
        enum CodingKeys: String, CodingKey { case address, userAgent = "user_agent" }
    }

    public struct SeenConnection: Codable, Sendable, Hashable {
        public var seenAt: String
        public var listener: String
        /// The gateway's outcome: `accepted`, `refused`, `handshake-failed`, `malformed`, …
        public var outcome: String
        public var detail: String?
        enum CodingKeys: String, CodingKey { case seenAt = "seen_at", listener, outcome, detail }
    }

    public struct Versions: Codable, Sendable, Hashable {
        /// Record-layer version of the first record.
        public var record: String
        /// The ClientHello's legacy_version field.
        public var legacy: String
        /// supported_versions (RFC 8446 §4.2.1), or every version up to `legacy` without it.
        public var offered: [String]
        public var maxOffered: String
        public var format: String
        enum CodingKeys: String, CodingKey { case record, legacy, offered, maxOffered = "max_offered", format }
    }

    public struct Suite: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
        /// `strong`, `weak`, `insecure`, `signalling` (SCSV), `grease`, `unknown`.
        public var verdict: String
        public var reasons: [String]
        /// Under the policy after the cutoff: `accepted`, `not accepted`, or `not offered at an allowed version`.
        public var afterCutoff: String?
        enum CodingKeys: String, CodingKey { case id, name, verdict, reasons, afterCutoff = "after_cutoff" }
    }

    public struct Group: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
        public var postQuantum: Bool
        enum CodingKeys: String, CodingKey { case id, name, postQuantum = "post_quantum" }
    }

    public struct Named: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
    }

    public struct SCSV: Codable, Sendable, Hashable {
        /// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3) or the renegotiation_info extension.
        public var renegotiationInfo: Bool
        /// TLS_FALLBACK_SCSV (RFC 7507): the client is retrying with a lower version.
        public var fallback: Bool
        enum CodingKeys: String, CodingKey { case renegotiationInfo = "renegotiation_info", fallback }
    }

    public struct Fingerprints: Codable, Sendable, Hashable {
        public var ja3: String
        public var ja3Text: String
        public var ja3n: String
        public var ja3nText: String
        public var ja4: String
        public var ja4R: String
        public var ja4O: String
        enum CodingKeys: String, CodingKey {
            case ja3, ja3Text = "ja3_text", ja3n, ja3nText = "ja3n_text", ja4, ja4R = "ja4_r", ja4O = "ja4_o"
        }
    }

    public struct Negotiated: Codable, Sendable, Hashable {
        public var version: String?
        public var cipherSuite: String?
        public var alpn: String?
        enum CodingKeys: String, CodingKey { case version, cipherSuite = "cipher_suite", alpn }
    }

    public struct PolicyReport: Codable, Sendable, Hashable {
        /// The host name whose policy was applied (nil: the default / no-SNI policy).
        public var host: String?
        public var name: String
        public var minimumVersion: String
        public var mode: String
        public var cutoff: String?
        public var now: Verdict
        /// Under enforcement: at the cutoff, or (no cutoff configured) as if the policy enforced.
        public var afterCutoff: Verdict
        enum CodingKeys: String, CodingKey {
            case host, name, minimumVersion = "minimum_version", mode, cutoff, now, afterCutoff = "after_cutoff"
        }
    }

    public struct Verdict: Codable, Sendable, Hashable {
        /// The instant judged (ISO 8601).
        public var at: String
        public var willConnect: Bool
        /// "yes — …" / "no — …", one sentence.
        public var answer: String
        /// What to change, when the answer is no.
        public var fix: String?
        public var rule: String
        public var mode: String
        /// What the server would negotiate with this exact ClientHello (nil when it refuses).
        public var wouldNegotiate: Negotiated?
        /// The server's refusal: its alert, or the policy's.
        public var refusal: String?
        enum CodingKeys: String, CodingKey {
            case at, willConnect = "will_connect", answer, fix, rule, mode, wouldNegotiate = "would_negotiate", refusal
        }
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", checkedAt = "checked_at", source, client, connection
        case givenCipherSuites = "given_cipher_suites", givenNamedGroups = "given_named_groups"
        case givenSignatureAlgorithms = "given_signature_algorithms", postQuantumKeyAgreement = "post_quantum_key_agreement"
        case ephemeralKeysSupported = "ephemeral_keys_supported", sessionTicketSupported = "session_ticket_supported"
        case tlsCompressionSupported = "tls_compression_supported", unknownCipherSuiteSupported = "unknown_cipher_suite_supported"
        case beastVuln = "beast_vuln", ableToDetectNMinusOneSplitting = "able_to_detect_n_minus_one_splitting"
        case insecureCipherSuites = "insecure_cipher_suites", tlsVersion = "tls_version", rating
        case ratingReasons = "rating_reasons", versions, cipherSuites = "cipher_suites", namedGroups = "named_groups"
        case signatureAlgorithms = "signature_algorithms", alpn, sni, compressionMethods = "compression_methods", scsv
        case extensions, fingerprints, negotiated, policy, verdict
    }

    /// Pretty, key-sorted JSON with a final newline.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
