import Foundation
import TLSWire
import TLSPolicy

/// What the gateway saw of one client connection, as the client check needs it.
public struct ClientCheckObservation: Sendable, Hashable {
    public var flight: ClientHelloFlight
    public var clientAddress: String
    public var listener: String
    public var seenAt: Date
    public var userAgent: String?
    public var negotiatedVersion: ProtocolVersion?
    public var negotiatedSuite: CipherSuite?
    public var negotiatedALPN: String?
    /// Whether the client split its first TLS 1.0 CBC application record (BEAST 1/n-1); nil when it
    /// could not be seen (other versions or suites, or no application data yet).
    public var splitFirstRecord: Bool?
    /// The gateway's outcome for the connection (`accepted`, `refused`, …) once known.
    public var outcome: String?
    public var outcomeDetail: String?

    public init(flight: ClientHelloFlight, clientAddress: String, listener: String, seenAt: Date) {
        self.flight = flight
        self.clientAddress = clientAddress
        self.listener = listener
        self.seenAt = seenAt
    }

    public var hello: ClientHello { flight.hello }
    public var maxOfferedVersion: ProtocolVersion { hello.bestOfferedVersion }
}

extension ClientCheckReport {
    /// Builds the report from what was seen and the policy verdicts.
    /// - Parameters:
    ///   - afterCutoff: per offered suite, the verdict under the policy after the cutoff.
    ///   - live: true when answering on the connection that was observed, false for a lookup.
    ///
    /// Longer than the house limit on purpose: one assignment per field of the report (the
    /// facts it needs are read once at the top).
    public init(observation o: ClientCheckObservation, policy: PolicyReport, afterCutoff: [CipherSuite: String],
                live: Bool, now: Date) {
        let hello = o.hello
        let exts = hello.extensions
        let suites = hello.cipherSuites
        let offeredVersions = ((try? hello.offeredVersions()) ?? [hello.legacyVersion]).filter { !$0.isGREASE }
        let maxOffered = o.maxOfferedVersion
        let groups = ((try? exts.supportedGroups()) ?? nil) ?? []
        let sigalgs = ((try? exts.signatureAlgorithms()) ?? nil) ?? []
        let insecure = HowsMySSLRules.insecureReasons(suites)
        let canDetectSplit = o.splitFirstRecord != nil
        let version = max(maxOffered, o.negotiatedVersion ?? maxOffered)
        let facts = HowsMySSLRules.Facts(hello, version: version, maxOffered: maxOffered, splitFirstRecord: o.splitFirstRecord)
        let (rating, reasons) = HowsMySSLRules.rating(facts, now: now)
        let unknown = facts.unknownSuite
        let beast = facts.beast
        let fingerprint = ClientFingerprint(hello)

        self.checkedAt = PolicyEngine.format(now)
        self.source = live ? "live" : "lookup"
        self.client = Client(address: o.clientAddress, userAgent: o.userAgent)
        self.connection = live ? nil : SeenConnection(
            seenAt: PolicyEngine.format(o.seenAt), listener: o.listener, outcome: o.outcome ?? "in progress",
            detail: o.outcomeDetail)
        self.givenCipherSuites = suites.map(HowsMySSLRules.name)
        self.givenNamedGroups = groups.filter { !$0.isGREASE }.map(\.name)
        self.givenSignatureAlgorithms = sigalgs.filter { !$0.isGREASE }.map(\.name)
        self.postQuantumKeyAgreement = facts.postQuantum
        self.ephemeralKeysSupported = facts.ephemeral
        self.sessionTicketSupported = exts.contains(.sessionTicket)
        self.tlsCompressionSupported = facts.compression
        self.unknownCipherSuiteSupported = unknown
        self.beastVuln = beast
        self.ableToDetectNMinusOneSplitting = canDetectSplit
        self.insecureCipherSuites = Dictionary(uniqueKeysWithValues: insecure.map { (HowsMySSLRules.name($0.key), $0.value) })
        self.tlsVersion = version.isKnown ? version.displayName : "an unknown version of SSL/TLS"
        self.rating = rating
        self.ratingReasons = reasons
        self.versions = Versions(
            record: o.flight.recordVersion.displayName, legacy: hello.legacyVersion.displayName,
            offered: offeredVersions.map(\.displayName), maxOffered: maxOffered.displayName,
            format: hello.isSSLv2Format ? "SSL 2.0-compatible ClientHello" : "TLS ClientHello")
        self.cipherSuites = suites.map { suite in
            var (verdict, why) = HowsMySSLRules.suiteVerdict(suite, insecure: insecure)
            if suite.info != nil, !suite.isGREASE, !suite.isSCSV, afterCutoff[suite]?.hasPrefix("not accepted") == true {
                why.append("not allowed after the cutoff")
            }
            return Suite(id: suite.hexString, name: suite.isGREASE ? "GREASE" : suite.name, verdict: verdict, reasons: why,
                         afterCutoff: afterCutoff[suite])
        }
        self.namedGroups = groups.map {
            Group(id: $0.hexString, name: $0.isGREASE ? "GREASE" : $0.name, postQuantum: $0.isPostQuantum)
        }
        self.signatureAlgorithms = sigalgs.map { Named(id: $0.hexString, name: $0.isGREASE ? "GREASE" : $0.name) }
        self.alpn = (((try? exts.alpnProtocols()) ?? nil) ?? []).map { p in
            p.allSatisfy { $0 >= 0x20 && $0 < 0x7F } ? String(decoding: p, as: UTF8.self) : "0x" + p.map { String(format: "%02x", $0) }.joined()
        }
        self.sni = hello.serverName
        self.compressionMethods = hello.compressionMethods.map(Int.init)
        self.scsv = SCSV(renegotiationInfo: suites.contains(.emptyRenegotiationInfoSCSV) || exts.contains(.renegotiationInfo),
                         fallback: suites.contains(.fallbackSCSV))
        self.extensions = exts.map {
            Named(id: $0.type.hexString, name: $0.type.isGREASE ? "GREASE" : $0.type.name)
        }
        self.fingerprints = Fingerprints(
            ja3: fingerprint.ja3, ja3Text: fingerprint.ja3String, ja3n: fingerprint.ja3n, ja3nText: fingerprint.ja3nString,
            ja4: fingerprint.ja4, ja4R: fingerprint.ja4_r, ja4O: fingerprint.ja4_o)
        if o.negotiatedVersion != nil || o.negotiatedSuite != nil {
            self.negotiated = Negotiated(version: o.negotiatedVersion?.displayName, cipherSuite: o.negotiatedSuite?.name,
                                         alpn: o.negotiatedALPN)
        } else {
            self.negotiated = nil
        }
        self.policy = policy
        let when = policy.cutoff.map { " after \($0.prefix(10))" } ?? (policy.mode == PolicyMode.enforce.rawValue ? "" : " when the policy enforces")
        self.verdict = "will connect\(when): \(policy.afterCutoff.answer)"
    }
}
