import NIOCore
import TLSReport
import TLSWire

/// Known-weakness checks. Those that need the wire ask the server with crafted hellos (and, for
/// Heartbleed and CCS injection, one follow-up record); the rest follow from the suites found.
extension ProbeSession {
    struct WeaknessScan: Sendable {
        var features: FeatureReport
        /// The findings of the probes; `findings(derived:)` adds those that follow from the suites.
        var probed: [Finding]
        /// The certificate chain of the best TLS 1.0–1.2 handshake, as sent (DER, leaf first).
        var chain: [[UInt8]]?
        var ocspResponse: [UInt8]?
        var sctsInTLSExtension: Bool?
        /// The chain our TLS 1.3 client got (DER, leaf first).
        var tls13Chain: [[UInt8]]?
        /// ROBOT (run with `--robot`, else notRun).
        var robot: Finding

        /// Every finding, in the report's order: the probed ones, those derived from the suites and
        /// DH parameters (`derivedFindings`, once the groups scan has filled those in), then ROBOT.
        func findings(derived: [Finding]) -> [Finding] {
            probed + derived + [robot]
        }
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
        }.sorted { $0.strength.rating < $1.strength.rating }
        async let featureProbe = self.featureAndHeartbleed(classic, authenticated.isEmpty ? (classic.map(accepted) ?? []) : authenticated)
        async let ccs = self.ccsInjection(classic, classic.map(accepted) ?? [])
        async let fallback = self.fallbackSCSV(supported, accepted)
        async let sentinel = self.downgradeSentinel(supported, accepted)
        async let compression = self.compression(classic, classic.map(accepted) ?? [])
        async let handshake = self.tls12Checks(protocols)
        async let handshake13 = self.tls13Checks(protocols)
        async let robotProbe = self.robot(protocols, enabled: scanner.options.robot)
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
            features.version = ProtocolVersion.tls13.name
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
        var heartbleed = Finding("heartbleed", "Heartbleed", severity: .critical, cve: ["CVE-2014-0160"])
        var renegotiation = Finding("secure_renegotiation", "Insecure renegotiation (RFC 5746)", severity: .high,
                                    cve: ["CVE-2009-3555"])
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
        // RFC 6520 §4: a request whose payload_length exceeds what it carries MUST be discarded.
        // We claim 16 bytes more than we send: a vulnerable server echoes 16 bytes of its memory,
        // which the transport skips without keeping.
        let followUp = FollowUp(listenFor: .seconds(2)) { flight in
            guard let sh = flight.serverHello, sh.extensions.contains(.heartbeat) else { return nil }
            var record = ByteBuffer()
            var message = ByteBuffer()
            message.writeInteger(UInt8(1)) // heartbeat_request
            message.writeInteger(UInt16(32))
            message.writeBytes([UInt8](repeating: 0x42, count: 16)) // payload: 16 bytes, claimed 32
            message.writeBytes([UInt8](repeating: 0, count: 16)) // padding (≥16)
            TLSRecord(contentType: .heartbeat, version: sh.legacyVersion, fragment: message).write(to: &record)
            return record
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
            check: .completed, version: v.name, alpn: alpn, extendedMasterSecret: exts.contains(.extendedMasterSecret),
            secureRenegotiation: secureReneg, sessionTickets: exts.contains(.sessionTicket), sessionIDs: !sh.sessionID.isEmpty,
            ocspStapling: flight.ocspResponse != nil, heartbeat: exts.contains(.heartbeat),
            resumption: .notRun("needs a completed handshake, which the probe engine does not do yet"),
            earlyData: .notRun("needs a completed TLS 1.3 handshake with our own key schedule"))

        renegotiation.vulnerable = !secureReneg
        renegotiation.evidence = secureReneg
            ? "the \(v.displayName) ServerHello carries renegotiation_info"
            : "the \(v.displayName) ServerHello has no renegotiation_info although the client offered it"

        if !exts.contains(.heartbeat) {
            heartbleed.vulnerable = false
            heartbleed.evidence = "the server does not negotiate the heartbeat extension"
        } else if let reply = conversation.reply {
            let answers = reply.records.filter { $0.contentType == .heartbeat }
            if let first = answers.first {
                heartbleed.vulnerable = true
                heartbleed.evidence = "a heartbeat request claiming 16 bytes more than it carried got a \(first.length)-byte "
                    + "heartbeat response: the server returns its memory (the bytes were not kept)"
            } else {
                heartbleed.vulnerable = false
                heartbleed.evidence = "heartbeat negotiated; an oversized request was "
                    + (reply.alerts.isEmpty ? "ignored, as RFC 6520 §4 requires" : "refused with \(reply.alerts[0].alertDescription)")
            }
        } else {
            heartbleed.check = .error("the follow-up could not be sent")
        }
        return FeatureProbe(features: features, heartbleed: heartbleed, renegotiation: renegotiation,
                            chain: flight.certificate?.certificates, ocsp: flight.ocspResponse,
                            scts: exts.contains(.signedCertificateTimestamp))
    }

    // MARK: CCS injection

    func ccsInjection(_ v: ProtocolVersion?, _ suites: [CipherSuite]) async -> Finding {
        var f = Finding("ccs_injection", "OpenSSL CCS injection", severity: .high, cve: ["CVE-2014-0224"])
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
            f.vulnerable = true
            f.evidence = "an early ChangeCipherSpec was accepted: the server then answered with "
                + (reply.alerts.first.map { "\($0.alertDescription)" } ?? "an encrypted alert")
        } else if let alert = reply.alerts.first {
            f.vulnerable = false
            f.evidence = "an early ChangeCipherSpec was refused with \(alert.alertDescription)"
        } else if reply.closed {
            f.vulnerable = false
            f.evidence = "an early ChangeCipherSpec made the server close the connection"
        } else {
            f.check = .error("no answer within 2 s to an early ChangeCipherSpec: inconclusive")
        }
        return f
    }

    // MARK: Downgrade protection

    func fallbackSCSV(_ supported: [ProtocolVersion], _ accepted: (ProtocolVersion) -> [CipherSuite]) async -> Finding {
        var f = Finding("fallback_scsv", "No TLS_FALLBACK_SCSV (RFC 7507)", severity: .medium)
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
            f.vulnerable = false
            f.evidence = "a \(lower.displayName) hello with TLS_FALLBACK_SCSV got inappropriate_fallback"
        } else if let sh = outcome.serverHello {
            f.vulnerable = true
            let v = (try? sh.negotiatedVersion()) ?? sh.legacyVersion
            f.evidence = "a \(lower.displayName) hello with TLS_FALLBACK_SCSV was accepted with \(v.displayName), "
                + "although the server supports \(versions.last!.displayName)"
        } else {
            f.check = .error("a \(lower.displayName) hello with TLS_FALLBACK_SCSV got \(describe(outcome))")
        }
        return f
    }

    func downgradeSentinel(_ supported: [ProtocolVersion], _ accepted: (ProtocolVersion) -> [CipherSuite]) async -> Finding {
        var f = Finding("downgrade_sentinel", "No TLS 1.3 downgrade sentinel", severity: .medium)
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
        f.vulnerable = !missing.isEmpty
        f.evidence = missing.isEmpty
            ? "ServerHello.random ends in DOWNGRD for \(seen.joined(separator: " and ")) hellos"
            : "ServerHello.random lacks the DOWNGRD sentinel for \(missing.joined(separator: " and ")) hellos"
        return f
    }

    // MARK: Compression (CRIME)

    func compression(_ v: ProtocolVersion?, _ suites: [CipherSuite]) async -> Finding {
        var f = Finding("compression", "TLS compression (CRIME)", severity: .high, cve: ["CVE-2012-4929"])
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
        f.vulnerable = sh.compressionMethod != 0
        f.evidence = sh.compressionMethod != 0
            ? "the server chose compression method \(sh.compressionMethod) (DEFLATE)"
            : "offered DEFLATE and null; the server chose null"
        return f
    }

    // MARK: From the suites found

    func derivedFindings(_ protocols: [ProtocolResult], supported: [ProtocolVersion]) -> [Finding] {
        func suites(_ v: ProtocolVersion) -> [CipherSuiteInfo] { protocols.acceptedSuites(v).compactMap(\.info) }
        let enumerated = protocols.allSatisfy { $0.check.status == .completed || $0.supported == true }
        let pre13: [ProtocolVersion] = [.sslv3, .tls10, .tls11, .tls12]
        let all = pre13.flatMap { v in suites(v).map { (v, $0) } }
        func finding(_ id: String, _ title: String, _ severity: Finding.Severity, cve: [String]? = nil,
                     matching: [(ProtocolVersion, CipherSuiteInfo)], clean: String, dirty: (String) -> String) -> Finding {
            var f = Finding(id, title, severity: severity, cve: cve)
            guard enumerated else {
                f.check = .notEvaluated("not evaluated: the suite enumeration did not complete")
                return f
            }
            f.vulnerable = !matching.isEmpty
            let names = Array(Set(matching.map { $0.1.ianaName })).sorted()
            let list = names.prefix(4).joined(separator: ", ") + (names.count > 4 ? " and \(names.count - 4) more" : "")
            f.evidence = matching.isEmpty ? clean : dirty(list)
            return f
        }
        var out: [Finding] = []
        let sslv3CBC = suites(.sslv3).filter { $0.mode == .cbc }.map { (ProtocolVersion.sslv3, $0) }
        out.append(finding("poodle", "POODLE (SSL 3.0 with CBC)", .high, cve: ["CVE-2014-3566"], matching: sslv3CBC,
                           clean: "no CBC suite over SSL 3.0", dirty: { "SSL 3.0 accepts \($0)" }))
        let tls10CBC = suites(.tls10).filter { $0.mode == .cbc }.map { (ProtocolVersion.tls10, $0) }
        out.append(finding("beast", "BEAST (TLS 1.0 with CBC)", .low, cve: ["CVE-2011-3389"], matching: tls10CBC,
                           clean: "no CBC suite over TLS 1.0", dirty: { "TLS 1.0 accepts \($0) (mitigated in current clients by 1/n-1 splitting)" }))
        out.append(finding("sweet32", "SWEET32 (64-bit blocks)", .medium, cve: ["CVE-2016-2183"],
                           matching: all.filter { $0.1.blockBits == 64 }, clean: "no 64-bit block cipher accepted",
                           dirty: { "accepts \($0)" }))
        out.append(finding("rc4", "RC4 (RFC 7465)", .high, cve: ["CVE-2013-2566", "CVE-2015-2808"],
                           matching: all.filter { $0.1.cipher.hasPrefix("RC4") }, clean: "no RC4 suite accepted", dirty: { "accepts \($0)" }))
        out.append(finding("null_cipher", "NULL-cipher suites", .critical,
                           matching: all.filter { $0.1.mode == .null }, clean: "no NULL-cipher suite accepted", dirty: { "accepts \($0)" }))
        out.append(finding("anonymous", "Anonymous suites", .critical,
                           matching: all.filter { $0.1.isAnonymous }, clean: "no anonymous suite accepted", dirty: { "accepts \($0)" }))
        out.append(finding("export", "Export suites (FREAK)", .critical, cve: ["CVE-2015-0204", "CVE-2015-4000"],
                           matching: all.filter { $0.1.isExport }, clean: "no export suite accepted", dirty: { "accepts \($0)" }))
        // No forward secrecy: the server can be made to use RSA key exchange (every version), and
        // worst, it offers nothing else.
        let rsaKx = all.filter { !$0.1.forwardSecrecy && $0.1.keyExchange != .null }
        var fs = finding("no_forward_secrecy", "No forward secrecy", .medium, matching: rsaKx,
                         clean: "every accepted suite has forward secrecy", dirty: { "accepts \($0)" })
        if fs.vulnerable == true, !supported.contains(.tls13), !all.contains(where: { $0.1.forwardSecrecy }) {
            fs.severity = .high
            fs.evidence = "no accepted suite has forward secrecy: " + (fs.evidence ?? "")
        }
        out.append(fs)

        var drown = Finding("drown", "DROWN (SSL 2.0 on the same key)", severity: .critical, cve: ["CVE-2016-0800"])
        if let p = protocols.first(where: { $0.version == .sslv2 }), p.check.status == .completed {
            drown.vulnerable = p.supported == true
            drown.evidence = p.supported == true
                ? "SSL 2.0 is offered on this port: any TLS server sharing its RSA key is exposed"
                : "SSL 2.0 is not offered here (other hosts sharing the key are not checked)"
        } else {
            drown.check = .notEvaluated("not evaluated: the SSL 2.0 check did not complete")
        }
        out.append(drown)

        var dh = Finding("dh_parameters", "Weak DH parameters (Logjam)", severity: .high, cve: ["CVE-2015-4000"])
        if let p = protocols.first(where: { $0.dhParameterBits != nil }), let bits = p.dhParameterBits {
            let shared = p.dhWellKnownPrime.map { " (\($0))" } ?? ""
            dh.vulnerable = bits < 2048
            if bits < 1024 { dh.severity = .critical } else if bits < 2048 { dh.severity = .high }
            dh.evidence = bits < 2048
                ? "DHE uses a \(bits)-bit prime\(shared)" + (p.dhWellKnownPrime != nil && bits <= 1024 ? ": a widely shared prime of this size is open to precomputation" : "")
                : "DHE uses a \(bits)-bit prime\(shared)"
        } else if all.contains(where: { $0.1.keyExchange == .dhe }) {
            dh.check = .error("DHE suites are accepted but their parameters could not be read")
        } else {
            dh.check = .notApplicable("no DHE suite is accepted")
        }
        out.append(dh)
        return out
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
