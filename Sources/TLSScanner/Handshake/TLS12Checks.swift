import NIOCore
import TLSReport
import TLSWire

/// The checks that need a completed TLS 1.0–1.2 handshake of our own client: session resumption
/// (at most four connections: two full handshakes, one keeping its session ID, the other its
/// ticket, then one offering the ID and one the ticket) and client-initiated renegotiation (one
/// connection, run last by the scanner: see `ClientRenegotiationCheck`).
struct TLS12ResumptionCheck: ScanCheck {
    static let step = ScanStep.tls12Client
    var protocols: [ProtocolResult]

    struct Observation: Sendable {
        var resumption: CheckStatus
        var sessionIDResumption: Bool?
        var ticketResumption: Bool?
        /// The full handshake without session_ticket got a session ID (nil: it did not complete).
        var sessionIDGiven: Bool?
        /// A placeholder until `ClientRenegotiationCheck` runs; holds the reason when it cannot.
        var clientRenegotiation: Finding
    }

    /// The version and suites our TLS 1.0–1.2 client uses for resumption and renegotiation
    /// (`ownClientPlan`, as the HTTP check), or why it cannot run.
    static func handshakePlan(_ protocols: [ProtocolResult])
        -> (version: ProtocolVersion, suites: [CipherSuite], skip: CheckStatus?, renegotiation: CheckStatus?)
    {
        let supported = protocols.supportedVersions
        guard supported.contains(where: { $0 >= .sslv3 && $0 <= .tls12 }) else {
            if supported == [.tls13] {
                return (.tls12, [], .notApplicable("no version below TLS 1.3 is offered (TLS 1.3 resumption: see tls13)"),
                        .notApplicable("TLS 1.3 has no renegotiation and no version below it is offered"))
            }
            if supported.isEmpty { return (.tls12, [], .notApplicable("no protocol version is offered"), nil) }
            return (.tls12, [], .notRun("only SSL 2.0 is offered, which our client does not speak"), nil)
        }
        guard let plan = ProbeSession.ownClientPlan(protocols) else {
            return (.tls12, [], .notRun("no accepted suite below TLS 1.3 is one our client speaks (ECDHE, DHE or RSA with AES-GCM or AES-CBC, TLS 1.0–1.2)"), nil)
        }
        return (plan.version, plan.suites, nil, nil)
    }

    func run(_ probes: ProbeSession) async -> Observation {
        var renegotiation = Finding(.clientRenegotiation)
        func skipped(_ status: CheckStatus, renegotiation reneg: CheckStatus? = nil) -> Observation {
            renegotiation.check = reneg ?? status
            return Observation(resumption: status, clientRenegotiation: renegotiation)
        }
        let (version, suites, skip, reneg) = Self.handshakePlan(protocols)
        if let skip { return skipped(skip, renegotiation: reneg) }
        renegotiation.check = .notRun("runs last, on its own connection")

        // Two full handshakes. OpenSSL (ssl_generate_session_id) gives a TLS 1.2 session no ID when
        // it issues a ticket, so session IDs are asked for without session_ticket, and tickets on a
        // second connection.
        var config = TLS12ClientStateMachine.Configuration(serverName: probes.target.sni, cipherSuites: suites)
        config.version = version
        config.requestTicket = false
        let plain = config
        var ticketing = plain
        ticketing.requestTicket = true
        async let plainResult = probes.handshake12(plain)
        async let ticketingResult = probes.handshake12(ticketing)
        let (first, second) = await (plainResult, ticketingResult)
        guard first.established || second.established else {
            let why = "our full \(version.displayName) handshake failed: \(first.error?.detail ?? second.error?.detail ?? "no result")"
            return skipped(.error(why))
        }

        let resumed = await resumption(after: first, second, configuration: plain, probes)
        return Observation(resumption: resumed.0, sessionIDResumption: resumed.sessionID, ticketResumption: resumed.ticket,
                           sessionIDGiven: first.session.map { !$0.sessionID.isEmpty }, clientRenegotiation: renegotiation)
    }

    /// Resumption on fresh connections: by the session ID `first` got and by the ticket `second`
    /// got. The ServerHello must echo the offered ID and the abbreviated handshake must complete
    /// (the server's Finished verifies under keys from the saved master secret).
    private func resumption(
        after first: TLS12HandshakeResult, _ second: TLS12HandshakeResult,
        configuration: TLS12ClientStateMachine.Configuration, _ probes: ProbeSession
    ) async -> (CheckStatus, sessionID: Bool?, ticket: Bool?) {
        func resume(_ r: TLS12HandshakeResult, _ how: (TLS12Session) -> TLS12ClientStateMachine.Resumption?) async -> TLS12HandshakeResult? {
            guard let session = r.session, let resumption = how(session) else { return nil }
            var c = configuration
            c.resume = resumption
            return await probes.handshake12(c)
        }
        async let idResult = resume(first) { $0.sessionID.isEmpty ? nil : .sessionID($0) }
        async let ticketResult = resume(second) { $0.ticket == nil ? nil : .ticket($0) }
        let (id, ticket) = await (idResult, ticketResult)

        var errors: [String] = []
        func judge(_ full: TLS12HandshakeResult, _ r: TLS12HandshakeResult?, _ what: String) -> Bool? {
            guard full.established else {
                errors.append("\(what): the full handshake failed: \(full.error?.detail ?? "no result")")
                return nil
            }
            guard let r else { return false } // no session ID, or no ticket, was given
            if r.resumed && r.established { return true }
            if r.resumptionDeclined { return false }
            errors.append("\(what): \(r.error?.detail ?? "no result")")
            return nil
        }
        let sessionID = judge(first, id, "session-ID resumption")
        let ticketResumed = judge(second, ticket, "ticket resumption")
        return (errors.isEmpty ? .completed : .error(errors.joined(separator: "; ")), sessionID, ticketResumed)
    }
}

struct ClientRenegotiationCheck: ScanCheck {
    static let step = ScanStep.clientRenegotiation
    var protocols: [ProtocolResult]

    /// Client-initiated renegotiation: a full TLS 1.2 handshake, then an encrypted ClientHello.
    ///
    /// The scanner runs it after every other probe of the target, on a connection of its own:
    /// `openssl s_server -www` answers a renegotiation by sleeping a second in its loop ("read R
    /// BLOCK"), and a server that serves one connection at a time made every other probe wait that
    /// second. Last, nothing waits for it: we close on the answer.
    func run(_ probes: ProbeSession) async -> Finding {
        var renegotiation = Finding(.clientRenegotiation)
        let (version, suites, skip, reneg) = TLS12ResumptionCheck.handshakePlan(protocols)
        if let skip {
            renegotiation.check = reneg ?? skip
            return renegotiation
        }
        var config = TLS12ClientStateMachine.Configuration(serverName: probes.target.sni, cipherSuites: suites)
        config.version = version
        config.requestTicket = false
        config.renegotiate = true
        let result = await probes.handshake12(config)
        guard result.established || result.renegotiation != nil else {
            renegotiation.check = .error("our full \(version.displayName) handshake failed: \(result.error?.detail ?? "no result")")
            return renegotiation
        }
        return Self.finding(result, renegotiation, version: version, readTimeout: probes.options.readTimeout)
    }

    /// What the encrypted ClientHello after the `reneg` handshake drew: client-initiated
    /// renegotiation seen or not, with the evidence.
    static func finding(_ reneg: TLS12HandshakeResult, _ finding: Finding, version: ProtocolVersion, readTimeout: TimeAmount) -> Finding {
        var renegotiation = finding
        let legacy = reneg.secureRenegotiation ? ""
            : " The server does not support secure renegotiation (RFC 5746; see secure_renegotiation), so the hello was a legacy one."
        let hello = "after a full \(version.displayName) handshake, an encrypted ClientHello"
            + (reneg.secureRenegotiation ? " (renegotiation_info carrying our verify_data)" : "")
        switch reneg.renegotiation {
        case .serverHello?:
            renegotiation.seen = true
            renegotiation.evidence = "\(hello) got a ServerHello: the server renegotiates at a client's request, "
                + "and every renegotiation costs it a new key exchange (a denial-of-service lever)." + legacy
        case .alert(let alert)?:
            renegotiation.seen = false
            renegotiation.evidence = "\(hello) was refused with a \(alert.level) \(alert.alertDescription) alert." + legacy
        case .closed?:
            renegotiation.seen = false
            renegotiation.evidence = "\(hello) made the server close the connection." + legacy
        case .ignored?:
            renegotiation.seen = false
            renegotiation.evidence = "\(hello) got no answer within \(seconds(readTimeout)) s: the server ignores it." + legacy
        case nil:
            renegotiation.check = .error("the handshake before renegotiating failed: \(reneg.error?.detail ?? "no result")")
        }
        return renegotiation
    }
}

extension ProbeSession {
    /// One connection of one of our clients under both caps; one retry when it could not connect.
    func runClient<Machine: HandshakeStateMachine>(_ machine: Machine) async -> Machine.Result
    where Machine.Result: HandshakeOutcome {
        let client = HandshakeClient(connectTimeout: options.connectTimeout, readTimeout: options.readTimeout)
        return await connection(retryIf: { $0.error?.code == .connection && $0.serverHello == nil }) {
            await client.run(self.address, machine)
        }
    }

    func handshake12(_ configuration: TLS12ClientStateMachine.Configuration) async -> TLS12HandshakeResult {
        await runClient(TLS12ClientStateMachine(configuration))
    }

}
