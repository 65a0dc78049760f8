import NIOCore
import TLSReport
import TLSWire

/// One handshake to ServerHelloDone on the best version below TLS 1.3: the features in clear
/// (ALPN, EMS, secure renegotiation, tickets, session IDs, stapling, SCTs), the default certificate
/// chain, and Heartbleed (CVE-2014-0160) by an oversized heartbeat request as the follow-up.
/// One connection.
struct FeatureProbeCheck: ScanCheck {
    static let step = ScanStep.features
    /// The best version below TLS 1.3 (nil: only TLS 1.3) and the suites to offer.
    var version: ProtocolVersion?
    var suites: [CipherSuite]

    func run(_ probes: ProbeSession) async -> ProbeSession.FeatureProbe {
        let notRunFeatures = FeatureReport(
            check: .notApplicable("no TLS 1.0-1.2 or SSL 3.0: the features below are only in clear before TLS 1.3"),
            resumption: .notRun("needs a completed handshake"), earlyData: .notRun("needs a completed TLS 1.3 handshake with our own key schedule"))
        var heartbleed = Finding(.heartbleed)
        var renegotiation = Finding(.secureRenegotiation)
        guard let v = version else {
            heartbleed.check = .notApplicable("TLS 1.3 has no heartbeat extension and no version below it is offered")
            renegotiation.check = .notApplicable("TLS 1.3 has no renegotiation and no version below it is offered")
            return ProbeSession.FeatureProbe(features: notRunFeatures, heartbleed: heartbleed, renegotiation: renegotiation)
        }
        var b = ClientHelloBuilder(version: v, cipherSuites: suites, serverName: probes.target.sni)
        b.alpn = v > .sslv3 ? ["h2", "http/1.1"] : []
        b.heartbeat = v > .sslv3
        // RFC 6962 §3.3.1: an empty signed_certificate_timestamp asks for SCTs in the handshake.
        if v > .sslv3 { b.extraExtensions = [TLSExtension(type: .signedCertificateTimestamp, data: [])] }
        let hello = b.build()
        let followUp = FollowUp(listenFor: .seconds(2)) { flight in
            guard let sh = flight.serverHello, sh.extensions.contains(.heartbeat) else { return nil }
            return Self.oversizedHeartbeatRequest(version: sh.legacyVersion)
        }
        let conversation = await probes.converse(hello, stopAt: .serverHelloDone, followUp: followUp)
        guard let flight = conversation.outcome.flight, let sh = flight.serverHello else {
            let why = "the \(v.displayName) handshake for it failed: \(probes.describe(conversation.outcome))"
            heartbleed.check = .error(why)
            renegotiation.check = .error(why)
            var f = notRunFeatures
            f.check = .error(why)
            return ProbeSession.FeatureProbe(features: f, heartbleed: heartbleed, renegotiation: renegotiation)
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
        return ProbeSession.FeatureProbe(features: features, heartbleed: heartbleed, renegotiation: renegotiation,
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
}
