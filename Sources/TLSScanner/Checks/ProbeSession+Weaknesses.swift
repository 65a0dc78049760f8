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
        async let featureProbe = during(.features) { await self.featureAndHeartbleed(classic, featureSuites) }
        async let ccs = during(.ccsInjection) { await self.ccsInjection(classic, classic.map(accepted) ?? []) }
        async let fallback = during(.fallbackSCSV) { await self.fallbackSCSV(supported, accepted) }
        async let sentinel = during(.downgradeSentinel) { await self.downgradeSentinel(supported, accepted) }
        async let compression = during(.compression) { await self.compression(classic, classic.map(accepted) ?? []) }
        async let handshake = during(.tls12Client) { await self.tls12Checks(protocols) }
        async let handshake13 = during(.tls13Client) { await self.tls13Checks(protocols) }
        async let robotProbe = during(.robot) { await self.robot(protocols, enabled: self.scanner.options.robot) }
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

    // MARK: One handshake to ServerHelloDone: features, certificate, renegotiation, Heartbleed

    struct FeatureProbe: Sendable {
        var features: FeatureReport
        var heartbleed: Finding
        var renegotiation: Finding
        var chain: [[UInt8]]?
        var ocsp: [UInt8]?
        var scts: Bool?
    }

    func featureAndHeartbleed(_ v: ProtocolVersion?, _ suites: [CipherSuite]) async -> FeatureProbe {
        let notRunFeatures = FeatureReport(
            check: .notApplicable("no TLS 1.0-1.2 or SSL 3.0: the features below are only in clear before TLS 1.3"),
            resumption: .notRun("needs a completed handshake"), earlyData: .notRun("needs a completed TLS 1.3 handshake with our own key schedule"))
        var heartbleed = Finding(.heartbleed)
        var renegotiation = Finding(.secureRenegotiation)
        guard let v else {
            heartbleed.check = .notApplicable("TLS 1.3 has no heartbeat extension and no version below it is offered")
            renegotiation.check = .notApplicable("TLS 1.3 has no renegotiation and no version below it is offered")
            return FeatureProbe(features: notRunFeatures, heartbleed: heartbleed, renegotiation: renegotiation)
        }
        var b = ClientHelloBuilder(version: v, cipherSuites: suites, serverName: target.sni)
        b.alpn = v > .sslv3 ? ["h2", "http/1.1"] : []
        b.heartbeat = v > .sslv3
        // RFC 6962 §3.3.1: an empty signed_certificate_timestamp asks for SCTs in the handshake.
        if v > .sslv3 { b.extraExtensions = [TLSExtension(type: .signedCertificateTimestamp, data: [])] }
        let hello = b.build()
        let followUp = FollowUp(listenFor: .seconds(2)) { flight in
            guard let sh = flight.serverHello, sh.extensions.contains(.heartbeat) else { return nil }
            return Self.oversizedHeartbeatRequest(version: sh.legacyVersion)
        }
        let conversation = await converse(hello, stopAt: .serverHelloDone, followUp: followUp)
        guard let flight = conversation.outcome.flight, let sh = flight.serverHello else {
            let why = "the \(v.displayName) handshake for it failed: \(describe(conversation.outcome))"
            heartbleed.check = .error(why)
            renegotiation.check = .error(why)
            var f = notRunFeatures
            f.check = .error(why)
            return FeatureProbe(features: f, heartbleed: heartbleed, renegotiation: renegotiation)
        }
        let exts = sh.extensions
        let alpn = ((try? exts.alpnProtocols()) ?? nil)?.first.map { String(decoding: $0, as: UTF8.self) }
        let secureReneg = exts.contains(.renegotiationInfo)
        let features = FeatureReport(
            check: .completed, version: v, alpn: alpn, extendedMasterSecret: exts.contains(.extendedMasterSecret),
            secureRenegotiation: secureReneg, sessionTickets: exts.contains(.sessionTicket), sessionIDs: !sh.sessionID.isEmpty,
            ocspStapling: flight.ocspResponse != nil, heartbeat: exts.contains(.heartbeat),
            resumption: .notRun("needs a completed handshake, which the probe engine does not do yet"),
            earlyData: .notRun("needs a completed TLS 1.3 handshake with our own key schedule"))

        renegotiation.seen = !secureReneg
        renegotiation.evidence = secureReneg
            ? "the \(v.displayName) ServerHello carries renegotiation_info"
            : "the \(v.displayName) ServerHello has no renegotiation_info although the client offered it"

        heartbleed = Self.heartbleed(negotiated: exts.contains(.heartbeat), reply: conversation.reply)
        return FeatureProbe(features: features, heartbleed: heartbleed, renegotiation: renegotiation,
                            chain: flight.certificate?.certificates, ocsp: flight.ocspResponse,
                            scts: exts.contains(.signedCertificateTimestamp))
    }

    /// RFC 6520 §4: a request whose payload_length exceeds what it carries MUST be discarded. It
    /// claims 16 bytes more than it sends: a vulnerable server echoes 16 bytes of its memory, which
    /// the transport skips without keeping.
    static func oversizedHeartbeatRequest(version: ProtocolVersion) -> ByteBuffer {
        var record = ByteBuffer()
        var message = ByteBuffer()
        message.writeInteger(UInt8(1)) // heartbeat_request
        message.writeInteger(UInt16(32))
        message.writeBytes([UInt8](repeating: 0x42, count: 16)) // payload: 16 bytes, claimed 32
        message.writeBytes([UInt8](repeating: 0, count: 16)) // padding (≥16)
        TLSRecord(contentType: .heartbeat, version: version, fragment: message).write(to: &record)
        return record
    }

    /// The Heartbleed observation from the ServerHello's heartbeat extension and what followed the
    /// oversized request (nil when it could not be sent).
    static func heartbleed(negotiated: Bool, reply: FollowUpReply?) -> Finding {
        var heartbleed = Finding(.heartbleed)
        if !negotiated {
            heartbleed.seen = false
            heartbleed.evidence = "the server does not negotiate the heartbeat extension"
        } else if let reply {
            if let first = reply.records.first(where: { $0.contentType == .heartbeat }) {
                heartbleed.seen = true
                heartbleed.evidence = "a heartbeat request claiming 16 bytes more than it carried got a \(first.length)-byte "
                    + "heartbeat response: the server returns its memory (the bytes were not kept)"
            } else {
                heartbleed.seen = false
                heartbleed.evidence = "heartbeat negotiated; an oversized request was "
                    + (reply.alerts.isEmpty ? "ignored, as RFC 6520 §4 requires" : "refused with \(reply.alerts[0].alertDescription)")
            }
        } else {
            heartbleed.check = .error("the follow-up could not be sent")
        }
        return heartbleed
    }

    // MARK: CCS injection

    func ccsInjection(_ v: ProtocolVersion?, _ suites: [CipherSuite]) async -> Finding {
        var f = Finding(.ccsInjection)
        guard let v else {
            f.check = .notApplicable("only TLS 1.3 is offered")
            return f
        }
        // Two ChangeCipherSpec records before the key exchange. A patched server refuses the first
        // (unexpected_message); a vulnerable one takes it and then fails to decrypt, answering
        // with an encrypted alert or bad_record_mac/decryption_failed.
        let followUp = FollowUp(listenFor: .seconds(2)) { flight in
            var b = ByteBuffer()
            let version = flight.serverHello?.legacyVersion ?? v
            for _ in 0..<2 { TLSRecord(contentType: .changeCipherSpec, version: version, fragment: ByteBuffer(bytes: [1])).write(to: &b) }
            return b
        }
        let conversation = await converse(hello(v, suites: suites), stopAt: .serverHelloDone, followUp: followUp)
        guard let reply = conversation.reply else {
            f.check = .error("the \(v.displayName) handshake for it failed: \(describe(conversation.outcome))")
            return f
        }
        let alertRecords = reply.records.filter { $0.contentType == .alert }
        if reply.alerts.contains(where: { $0.alertDescription == AlertDescription(20) || $0.alertDescription == AlertDescription(21) })
            || alertRecords.contains(where: { $0.length != 2 }) {
            f.seen = true
            f.evidence = "an early ChangeCipherSpec was accepted: the server then answered with "
                + (reply.alerts.first.map { "\($0.alertDescription)" } ?? "an encrypted alert")
        } else if let alert = reply.alerts.first {
            f.seen = false
            f.evidence = "an early ChangeCipherSpec was refused with \(alert.alertDescription)"
        } else if reply.closed {
            f.seen = false
            f.evidence = "an early ChangeCipherSpec made the server close the connection"
        } else {
            f.check = .error("no answer within 2 s to an early ChangeCipherSpec: inconclusive")
        }
        return f
    }

    // MARK: Downgrade protection

    func fallbackSCSV(_ supported: [ProtocolVersion], _ accepted: (ProtocolVersion) -> [CipherSuite]) async -> Finding {
        var f = Finding(.fallbackSCSV)
        let versions = supported.filter { $0 >= .sslv3 }.sorted()
        guard versions.count >= 2 else {
            f.check = .notApplicable("only one protocol version is offered: there is nothing to fall back to")
            return f
        }
        let lower = versions[versions.count - 2]
        var b = ClientHelloBuilder(version: lower, cipherSuites: accepted(lower), serverName: target.sni)
        b.fallbackSCSV = true
        let outcome = await probe(b.build(), stopAt: .serverHello)
        if let alert = outcome.flight?.alert, alert.alertDescription == .inappropriateFallback {
            f.seen = false
            f.evidence = "a \(lower.displayName) hello with TLS_FALLBACK_SCSV got inappropriate_fallback"
        } else if let sh = outcome.serverHello {
            f.seen = true
            let v = (try? sh.negotiatedVersion()) ?? sh.legacyVersion
            f.evidence = "a \(lower.displayName) hello with TLS_FALLBACK_SCSV was accepted with \(v.displayName), "
                + "although the server supports \(versions.last!.displayName)"
        } else {
            f.check = .error("a \(lower.displayName) hello with TLS_FALLBACK_SCSV got \(describe(outcome))")
        }
        return f
    }

    func downgradeSentinel(_ supported: [ProtocolVersion], _ accepted: (ProtocolVersion) -> [CipherSuite]) async -> Finding {
        var f = Finding(.downgradeSentinel)
        guard supported.contains(.tls13) else {
            f.check = .notApplicable("TLS 1.3 is not offered")
            return f
        }
        let lower = [ProtocolVersion.tls12, .tls11, .tls10].filter { supported.contains($0) }
        guard !lower.isEmpty else {
            f.check = .notApplicable("no version below TLS 1.3 is offered")
            return f
        }
        var missing: [String] = []
        var seen: [String] = []
        for v in lower.prefix(2) {
            let outcome = await probe(hello(v, suites: accepted(v)), stopAt: .serverHello)
            guard let sh = outcome.serverHello else {
                f.check = .error("a \(v.displayName) hello got \(describe(outcome))")
                return f
            }
            let expected: ServerHello.DowngradeSentinel = v == .tls12 ? .tls12 : .tls11OrBelow
            if sh.downgradeSentinel == expected { seen.append(v.displayName) } else { missing.append(v.displayName) }
        }
        f.seen = !missing.isEmpty
        f.evidence = missing.isEmpty
            ? "ServerHello.random ends in DOWNGRD for \(seen.joined(separator: " and ")) hellos"
            : "ServerHello.random lacks the DOWNGRD sentinel for \(missing.joined(separator: " and ")) hellos"
        return f
    }

    // MARK: Compression (CRIME)

    func compression(_ v: ProtocolVersion?, _ suites: [CipherSuite]) async -> Finding {
        var f = Finding(.compression)
        guard let v else {
            f.check = .notApplicable("TLS 1.3 has no compression and no version below it is offered")
            return f
        }
        var b = ClientHelloBuilder(version: v, cipherSuites: suites, serverName: target.sni)
        b.compressionMethods = [1, 0] // DEFLATE (RFC 3749), then null
        let outcome = await probe(b.build(), stopAt: .serverHello)
        guard let sh = outcome.serverHello else {
            f.check = .error("a \(v.displayName) hello offering DEFLATE got \(describe(outcome))")
            return f
        }
        f.seen = sh.compressionMethod != 0
        f.evidence = sh.compressionMethod != 0
            ? "the server chose compression method \(sh.compressionMethod) (DEFLATE)"
            : "offered DEFLATE and null; the server chose null"
        return f
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
