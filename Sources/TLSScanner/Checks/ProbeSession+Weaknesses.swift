import NIOCore
import TLSReport
import TLSWire

/// Known-weakness checks. Those that need the wire ask the server with crafted hellos (and, for
/// Heartbleed and CCS injection, one follow-up record); the rest follow from the suites found.
extension ProbeSession {
    struct WeaknessScan: Sendable {
        var features: FeatureReport
        /// The observations of the probes (TLSPolicy's `WeaknessJudge` adds what follows from the suites).
        var probed: [Finding]
        /// The certificate chain of the best TLS 1.0–1.2 handshake, as sent (DER, leaf first).
        var chain: [[UInt8]]?
        var ocspResponse: [UInt8]?
        var sctsInTLSExtension: Bool?
        /// The chain our TLS 1.3 client got (DER, leaf first).
        var tls13Chain: [[UInt8]]?
        /// ROBOT (run with `--robot`, else notRun).
        var robot: Finding

        /// Every probe's observation, in the report's order (ROBOT last).
        var findings: [Finding] { probed + [robot] }
    }

    func scanWeaknesses(_ protocols: [ProtocolResult]) async -> WeaknessScan {
        let accepted = protocols.acceptedSuites
        let supported = protocols.supportedVersions
        let classic = protocols.bestVersionBelowTLS13

        // The feature probe also yields the default certificate chain: certificate-authenticated
        // suites only (an anonymous pick sends no Certificate), strongest first.
        let authenticated = (classic.map(accepted) ?? []).filter { s in
            guard let a = s.info?.authentication else { return false }
            return [.rsa, .ecdsa, .dss].contains(a)
        }.sorted { $0.offerRank < $1.offerRank }
        let featureSuites = authenticated.isEmpty ? (classic.map(accepted) ?? []) : authenticated
        let classicSuites = classic.map(accepted) ?? []
        let byVersion = Dictionary(uniqueKeysWithValues: supported.map { ($0, accepted($0)) })
        async let featureProbe = run(FeatureProbeCheck(version: classic, suites: featureSuites))
        async let ccs = run(CCSInjectionCheck(version: classic, suites: classicSuites))
        async let fallback = run(FallbackSCSVCheck(supported: supported, accepted: byVersion))
        async let sentinel = run(DowngradeSentinelCheck(supported: supported, accepted: byVersion))
        async let compression = run(CompressionCheck(version: classic, suites: classicSuites))
        async let handshake = run(TLS12ResumptionCheck(protocols: protocols))
        async let handshake13 = run(TLS13FeaturesCheck(protocols: protocols))
        async let robotProbe = run(RobotCheck(protocols: protocols, enabled: scanner.options.robot))
        let (probe, ccsFinding, fallbackFinding, sentinelFinding, compressionFinding, tls12, tls13, robotFinding) =
            await (featureProbe, ccs, fallback, sentinel, compression, handshake, handshake13, robotProbe)

        var features = probe.features
        features.resumption = tls12.resumption
        features.sessionIDResumption = tls12.sessionIDResumption
        features.ticketResumption = tls12.ticketResumption
        // The feature probe offers session_ticket, and OpenSSL then gives no session ID; a hello
        // without it (ours) shows whether the server hands out IDs at all.
        if tls12.sessionIDGiven == true { features.sessionIDs = true }
        features.earlyData = tls13.earlyData
        features.tls13 = tls13.features
        if classic == nil, let t = tls13.features, t.check.status == .completed {
            // Nothing is in clear: the features come from our TLS 1.3 client (ALPN from EncryptedExtensions).
            features.check = .completed
            features.version = .tls13
            features.alpn = t.alpn
        }
        let probed = [probe.heartbleed, ccsFinding, fallbackFinding, sentinelFinding, probe.renegotiation,
                      tls12.clientRenegotiation, compressionFinding, tls13.finding]
        return WeaknessScan(features: features, probed: probed, chain: probe.chain, ocspResponse: probe.ocsp,
                            sctsInTLSExtension: probe.scts, tls13Chain: tls13.chain, robot: robotFinding)
    }

    /// What `FeatureProbeCheck` saw.
    struct FeatureProbe: Sendable {
        var features: FeatureReport
        var heartbleed: Finding
        var renegotiation: Finding
        var chain: [[UInt8]]?
        var ocsp: [UInt8]?
        var scts: Bool?
    }

    func describe(_ outcome: ProbeOutcome) -> String {
        switch outcome {
        case .answered(let f), .closed(let f), .timedOut(let f):
            if let a = f.alert { return "alert \(a.alertDescription)" }
            if case .timedOut = outcome { return "no answer" }
            return f.serverHello == nil ? "the connection closed" : "a ServerHello"
        case .notTLS(let b): return "a non-TLS answer \(describeBytes(b))"
        case .malformed(let e): return "a malformed answer (\(e))"
        case .connectFailed(let why), .ioError(let why): return why
        }
    }
}
