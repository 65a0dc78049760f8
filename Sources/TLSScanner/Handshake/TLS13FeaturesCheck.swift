import NIOCore
import TLSReport
import TLSWire

/// The checks that need a completed TLS 1.3 handshake under our own key schedule: ALPN and the
/// certificate chain as a TLS 1.3 client sees them, session tickets, resumption, and 0-RTT.
/// Two connections: one full handshake that waits for its NewSessionTickets, then one resumption
/// with a ticket, carrying a harmless request as early data when the ticket allows 0-RTT.
struct TLS13FeaturesCheck: ScanCheck {
    static let step = ScanStep.tls13Client
    var protocols: [ProtocolResult]

    struct Observation: Sendable {
        /// nil when TLS 1.3 is not offered.
        var features: TLS13FeatureReport?
        var earlyData: CheckStatus
        var finding: Finding
        /// The chain from the full handshake's Certificate message (DER, leaf first).
        var chain: [[UInt8]]?
    }

    /// What the 0-RTT probe sends: nothing that changes state if replayed. The HTTP/2 connection
    /// preface alone (RFC 9113 §3.4) when h2 was negotiated, a HEAD request over HTTP/1.1 (or when
    /// the scan treats the port as HTTPS), else a bare CRLF.
    static func earlyDataPayload(alpn: String?, http: Bool, host: String) -> [UInt8] {
        switch alpn {
        case "h2":
            return Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        case "http/1.1":
            return headRequest(host)
        case nil where http:
            return headRequest(host)
        default:
            return [0x0D, 0x0A]
        }
    }

    private static func headRequest(_ host: String) -> [UInt8] {
        Array("HEAD / HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
    }

    func run(_ probes: ProbeSession) async -> Observation {
        var finding = Finding(.earlyData)
        func skipped(_ status: CheckStatus, features: TLS13FeatureReport? = nil) -> Observation {
            finding.check = status
            return Observation(features: features, earlyData: status, finding: finding)
        }
        guard protocols.supportedVersions.contains(.tls13) else {
            return skipped(.notApplicable("0-RTT exists only in TLS 1.3, which is not offered"))
        }
        let suites = protocols.acceptedSuites(.tls13).filter { TLS13SuiteParameters.forSuite($0) != nil }
        guard !suites.isEmpty else {
            let why = CheckStatus.notRun("TLS 1.3 is offered without TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 or "
                + "TLS_CHACHA20_POLY1305_SHA256, the suites our TLS 1.3 client speaks")
            return skipped(why, features: TLS13FeatureReport(check: why, resumption: why))
        }

        // The full handshake, waiting for NewSessionTickets.
        let config = TLS13ClientStateMachine.Configuration(serverName: probes.target.sni, cipherSuites: suites)
        let full = await probes.handshake13(config)
        guard full.established else {
            let why = CheckStatus.error("our TLS 1.3 handshake failed: \(full.error?.detail ?? "no result")")
            return skipped(why, features: TLS13FeatureReport(check: why, resumption: why))
        }
        // §4.6.1: a lifetime of zero means "do not use".
        let tickets = full.tickets.filter { $0.lifetime > 0 }
        let zeroRTTTicket = tickets.first { ($0.maxEarlyDataSize ?? 0) > 0 }
        var f = Self.features(of: full, zeroRTTTicket: zeroRTTTicket)

        guard let ticket = zeroRTTTicket ?? tickets.first else {
            f.resumed = false
            f.earlyData = .notOffered
            f.evidence = full.tickets.isEmpty
                ? "no NewSessionTicket after a full TLS 1.3 handshake (\(full.afterHandshake ?? "no answer")): "
                    + "nothing to resume, no 0-RTT"
                : "every NewSessionTicket had ticket_lifetime 0 (RFC 8446 §4.6.1: not to be used): nothing to resume, no 0-RTT"
            finding.seen = false
            finding.evidence = f.evidence
            return Observation(features: f, earlyData: .completed, finding: finding, chain: full.certificateChain)
        }

        // The resumption, with early data when the ticket allows it.
        var resume = config
        resume.resume = ticket
        resume.awaitTickets = false
        resume.earlyData = zeroRTTTicket == nil
            ? nil : Self.earlyDataPayload(alpn: ticket.alpn, http: probes.options.http, host: probes.target.sni ?? probes.target.host)
        let r = await probes.handshake13(resume)
        let ticketWords = "\(full.tickets.count) ticket\(full.tickets.count == 1 ? "" : "s") (lifetime \(ticket.lifetime) s"
            + (zeroRTTTicket.map { ", max_early_data_size \($0.maxEarlyDataSize ?? 0)" } ?? ", no early_data") + ")"
        guard r.established else {
            let why = "the resumption handshake failed: \(r.error?.detail ?? "no result")"
            f.resumption = .error(why)
            finding.check = .error(why)
            f.evidence = "a full handshake got \(ticketWords); \(why)"
            return Observation(features: f, earlyData: .error(why), finding: finding, chain: full.certificateChain)
        }
        resumed(r, ticketWords: ticketWords, zeroRTT: zeroRTTTicket != nil, &f, &finding)
        return Observation(features: f, earlyData: .completed, finding: finding, chain: full.certificateChain)
    }

    /// The features a full TLS 1.3 handshake showed: suite, group, HRR, ALPN and its tickets.
    private static func features(of full: TLS13HandshakeResult, zeroRTTTicket: TLS13Ticket?) -> TLS13FeatureReport {
        var f = TLS13FeatureReport(check: .completed, resumption: .completed)
        f.cipherSuite = full.cipherSuite?.name
        f.group = full.group?.name
        f.helloRetryRequest = full.helloRetryRequest
        f.alpn = full.alpn
        f.ticketsIssued = full.tickets.count
        f.ticketLifetime = full.tickets.first.map { Int($0.lifetime) }
        f.maxEarlyDataSize = zeroRTTTicket.flatMap(\.maxEarlyDataSize).map(Int.init)
        return f
    }

    /// What the completed resumption `r` showed: resumed or not, and 0-RTT accepted, rejected or
    /// not offered (`zeroRTT`: a ticket allowed it, so early data was sent), with the evidence.
    private func resumed(
        _ r: TLS13HandshakeResult, ticketWords: String, zeroRTT: Bool, _ f: inout TLS13FeatureReport, _ finding: inout Finding
    ) {
        f.resumed = r.pskAccepted
        let resumption = r.pskAccepted
            ? "offering the ticket again resumed the session (pre_shared_key in the ServerHello, Finished verified under the ticket's PSK)"
            : "offering the ticket again got a full handshake (no pre_shared_key in the ServerHello): the server does not resume"
        if !zeroRTT {
            f.earlyData = .notOffered
            finding.seen = false
            f.evidence = "a full handshake got \(ticketWords); \(resumption). No ticket allows 0-RTT, so no early data was sent."
        } else if r.earlyDataAccepted == true {
            f.earlyData = .accepted
            finding.seen = true
            f.evidence = "a full handshake got \(ticketWords); \(resumption), and \(r.earlyDataSent) bytes of 0-RTT data were accepted "
                + "(early_data in EncryptedExtensions)."
        } else {
            f.earlyData = .rejected
            finding.seen = false
            f.evidence = "a full handshake got \(ticketWords); \(resumption). \(r.earlyDataSent) bytes of 0-RTT data were sent and "
                + "not accepted (no early_data in EncryptedExtensions)."
        }
        if finding.seen == true {
            // What replay means for the application is TLSPolicy's to say (WeaknessJudge).
            finding.evidence = "\(r.earlyDataSent) bytes of 0-RTT data on a resumed TLS 1.3 handshake were accepted."
        } else {
            finding.evidence = f.evidence
        }
    }
}

extension ProbeSession {
    func handshake13(_ configuration: TLS13ClientStateMachine.Configuration) async -> TLS13HandshakeResult {
        await runClient(TLS13ClientStateMachine(configuration))
    }
}
