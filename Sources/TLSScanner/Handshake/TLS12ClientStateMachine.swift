import Crypto
import NIOCore
import TLSReport
import TLSWire

/// A TLS 1.2 session we can offer again: what an abbreviated handshake needs.
struct TLS12Session: Sendable, Hashable {
    var suite: CipherSuite
    var masterSecret: [UInt8]
    /// The session ID the server gave (empty: it gave none, so ID resumption is impossible).
    var sessionID: [UInt8]
    /// The ticket from NewSessionTicket (RFC 5077), if the server sent a non-empty one.
    var ticket: [UInt8]?
    var extendedMasterSecret: Bool
}

/// What the server answered to an encrypted ClientHello on an established connection.
enum TLS12RenegotiationAnswer: Sendable, Hashable {
    /// An (encrypted) ServerHello: the server renegotiates at a client's request.
    case serverHello
    /// A warning no_renegotiation (RFC 5246 §7.2.2) or a fatal alert.
    case alert(Alert)
    case closed
    /// Nothing within the read deadline: the hello was ignored.
    case ignored
}

/// Everything one connection of our TLS 1.2 client learned.
struct TLS12HandshakeResult: Sendable {
    var serverHello: ServerHello?
    /// Both Finished messages exchanged and the server's verified: the keys are right.
    var established = false
    /// The ServerHello echoed the session ID we offered: an abbreviated handshake.
    var resumed = false
    /// The ServerHello did not echo the session we offered: it wants a full handshake (not completed).
    var resumptionDeclined = false
    /// The session to resume later (full handshakes), or the resumed one.
    var session: TLS12Session?
    /// A NewSessionTicket arrived (RFC 5077 §3.3), even an empty one.
    var newSessionTicket = false
    var renegotiation: TLS12RenegotiationAnswer?
    var error: TLSClientError?

    /// The server negotiated RFC 5746 secure renegotiation.
    var secureRenegotiation: Bool { serverHello?.extensions.contains(.renegotiationInfo) ?? false }
}

/// The protocol logic of our TLS 1.2 client (RFC 5246): ECDHE + AES-GCM, full and abbreviated
/// handshakes, extended master secret (RFC 7627), and one client-initiated renegotiation hello
/// (RFC 5746). No I/O: bytes in, actions out; `HandshakeClient` performs them.
///
/// Server signatures and certificates are deliberately not verified: a scanner needs the keys, not
/// the server's identity. The server's Finished is verified: that proves the keys are right.
struct TLS12ClientStateMachine: HandshakeStateMachine {
    struct Configuration: Sendable {
        var serverName: String?
        var cipherSuites: [CipherSuite] = TLS12SuiteParameters.suites
        var groups: [NamedGroup] = [.x25519, .secp256r1, .secp384r1]
        var extendedMasterSecret = true
        /// Send an empty session_ticket extension on a fresh handshake (RFC 5077 §3.2).
        var requestTicket = true
        var resume: Resumption?
        /// Once established, send an encrypted ClientHello and report the server's answer.
        var renegotiate = false
    }

    enum Resumption: Sendable {
        /// Offer the session's ID, no ticket.
        case sessionID(TLS12Session)
        /// Offer the session's ticket, with a fresh random session ID (RFC 5077 §3.4).
        case ticket(TLS12Session)

        var session: TLS12Session {
            switch self { case .sessionID(let s), .ticket(let s): return s }
        }
    }

    typealias Action = HandshakeAction<TLS12HandshakeResult>

    static func failure(_ error: TLSClientError) -> TLS12HandshakeResult {
        var r = TLS12HandshakeResult()
        r.error = error
        return r
    }

    private enum Phase: String, Sendable {
        case start
        case serverHello = "the ServerHello"
        case serverFlight = "the server's Certificate, ServerKeyExchange and ServerHelloDone"
        case serverCCS = "the server's ChangeCipherSpec"
        case serverFinished = "the server's Finished"
        case renegotiating = "an answer to the renegotiation hello"
        case done
    }

    /// Most a server may send on one connection.
    static let maxReceivedBytes = 1 << 20

    let configuration: Configuration
    private var phase = Phase.start
    private var result = TLS12HandshakeResult()
    private var buffer = ByteBuffer()
    private var receivedBytes = 0
    private var reassembler = HandshakeReassembler()
    private var transcript: [UInt8] = []
    private var clientRandom: [UInt8] = []
    private var serverRandom: [UInt8] = []
    private var offeredSessionID: [UInt8] = []
    private var params: TLS12SuiteParameters?
    private var extendedMasterSecret = false
    private var certificateSeen = false
    private var certificateRequested = false
    private var serverKeyExchange: (group: NamedGroup, point: [UInt8])?
    private var masterSecret: [UInt8] = []
    private var readProtection: TLS12RecordProtection?
    private var writeProtection: TLS12RecordProtection?
    /// Derived keys, switched on at the server's (read) and our (write) ChangeCipherSpec.
    private var pendingRead: TLS12RecordProtection?
    private var pendingWrite: TLS12RecordProtection?
    private var clientVerifyData: [UInt8] = []
    private var ticket: [UInt8]?

    init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    // MARK: Events

    /// The first flight: our ClientHello.
    mutating func start() -> ByteBuffer {
        precondition(phase == .start, "start() called twice")
        var hello = buildHello(renegotiation: false)
        switch configuration.resume {
        case .sessionID(let s): hello.sessionID = s.sessionID
        case .ticket:
            var rng = SystemRandomNumberGenerator()
            hello.sessionID = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case nil: break
        }
        hello = Self.padded(hello)
        offeredSessionID = hello.sessionID
        clientRandom = hello.random
        transcript = Array(hello.handshakeBytes.readableBytesView)
        phase = .serverHello
        return hello.records(recordVersion: .tls10)
    }

    /// Bytes from the server, in any chunking.
    mutating func received(_ bytes: ByteBuffer) -> Action {
        guard phase != .done, phase != .start else { return .none }
        var b = bytes
        receivedBytes += b.readableBytes
        buffer.writeBuffer(&b)
        var out = ByteBuffer()
        do {
            guard receivedBytes <= Self.maxReceivedBytes else {
                throw TLSClientError(.malformed, "the server sent more than \(Self.maxReceivedBytes) bytes")
            }
            while phase != .done, let record = try buffer.readTLSRecord() {
                try handle(record, out: &out)
            }
            buffer.discardReadBytes()
        } catch let e as TLSClientError {
            return fail(e)
        } catch let e as TLSWireError {
            return fail(TLSClientError(.malformed, "malformed answer while waiting for \(phase.rawValue): \(e)"))
        } catch {
            return fail(TLSClientError(.malformed, "\(error)"))
        }
        if phase == .done { return .finish(send: out.readableBytes > 0 ? out : nil, result) }
        return out.readableBytes > 0 ? .send(out) : .none
    }

    mutating func peerClosed() -> Action {
        switch phase {
        case .done, .start: return .none
        case .renegotiating:
            result.renegotiation = .closed
            phase = .done
            return .finish(send: nil, result)
        default:
            return fail(TLSClientError(.closed, "the server closed the connection while we waited for \(phase.rawValue)"))
        }
    }

    mutating func timedOut() -> Action {
        switch phase {
        case .done, .start: return .none
        case .renegotiating:
            result.renegotiation = .ignored
            phase = .done
            return .finish(send: nil, result)
        default:
            return fail(TLSClientError(.timedOut, "no answer within the read deadline while we waited for \(phase.rawValue)"))
        }
    }

    private mutating func fail(_ error: TLSClientError) -> Action {
        result.error = error
        phase = .done
        return .finish(send: nil, result)
    }

    // MARK: Records

    private mutating func handle(_ record: TLSRecord, out: inout ByteBuffer) throws {
        var content = record.fragment
        if readProtection != nil {
            content = ByteBuffer(bytes: try readProtection!.open(record))
        }
        switch record.contentType {
        case .handshake:
            reassembler.append(content)
            while phase != .done, let message = try reassembler.nextMessage() {
                try handle(message, out: &out)
            }
        case .changeCipherSpec:
            // RFC 5246 §7.1: one byte of value 1, and only where the handshake expects it.
            guard phase == .serverCCS, readProtection == nil, let pending = pendingRead else {
                throw TLSClientError(.unexpectedMessage, "a ChangeCipherSpec while we waited for \(phase.rawValue)")
            }
            guard content.readableBytesView.elementsEqual([1]) else {
                throw TLSClientError(.malformed, "a ChangeCipherSpec of \(content.readableBytes) bytes")
            }
            guard reassembler.bufferedBytes == 0 else {
                throw TLSClientError(.unexpectedMessage, "a ChangeCipherSpec in the middle of a handshake message")
            }
            readProtection = pending
            phase = .serverFinished
        case .alert:
            guard content.readableBytes == 2 else {
                throw TLSClientError(.malformed, "an alert of \(content.readableBytes) bytes")
            }
            let alert = Alert(level: AlertLevel(content.readInteger()!), description: AlertDescription(content.readInteger()!))
            if phase == .renegotiating {
                result.renegotiation = .alert(alert)
                phase = .done
            } else if alert.level == .warning && alert.alertDescription != .closeNotify {
                return // e.g. unrecognized_name: not the end of the handshake
            } else {
                throw TLSClientError(.alert, "the server sent \(alert) while we waited for \(phase.rawValue)", alert: alert)
            }
        case .applicationData:
            guard phase == .renegotiating else {
                throw TLSClientError(.unexpectedMessage, "application data while we waited for \(phase.rawValue)")
            }
        default:
            throw TLSClientError(.unexpectedMessage, "a \(record.contentType) record while we waited for \(phase.rawValue)")
        }
    }

    // MARK: Handshake messages

    private mutating func handle(_ message: HandshakeMessage, out: inout ByteBuffer) throws {
        // RFC 5246 §7.4.1.1: HelloRequest may be ignored and is not part of the transcript.
        if message.type == .helloRequest { return }
        let bytes = Array(message.bytes.readableBytesView)
        switch (phase, message.type) {
        case (.serverHello, .serverHello):
            transcript += bytes
            try serverHello(message.body)
        case (.serverFlight, .certificate):
            guard !certificateSeen else { throw unexpected(message) }
            _ = try CertificateMessage(parsingBody: message.body, tls13: false) // bounds-checked, not verified
            certificateSeen = true
            transcript += bytes
        case (.serverFlight, .certificateStatus):
            guard certificateSeen, serverKeyExchange == nil else { throw unexpected(message) }
            transcript += bytes
        case (.serverFlight, .serverKeyExchange):
            guard certificateSeen, serverKeyExchange == nil else { throw unexpected(message) }
            serverKeyExchange = try parseServerKeyExchange(message.body)
            transcript += bytes
        case (.serverFlight, .certificateRequest):
            guard serverKeyExchange != nil, !certificateRequested else { throw unexpected(message) }
            certificateRequested = true
            transcript += bytes
        case (.serverFlight, .serverHelloDone):
            guard serverKeyExchange != nil else { throw unexpected(message) }
            guard message.body.readableBytes == 0 else { throw TLSClientError(.malformed, "a ServerHelloDone with a body") }
            transcript += bytes
            try clientFlight(out: &out)
        case (.serverCCS, .newSessionTicket):
            guard !result.newSessionTicket else { throw unexpected(message) }
            // RFC 5077 §3.3: uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>.
            var b = message.body
            _ = try b.readStrict(UInt32.self, field: "NewSessionTicket.ticket_lifetime_hint")
            let t = try b.readTLSVectorStrict(.two, field: "NewSessionTicket.ticket")
            try b.expectFullyConsumed(field: "NewSessionTicket")
            result.newSessionTicket = true
            if t.readableBytes > 0 { ticket = Array(t.readableBytesView) }
            transcript += bytes
        case (.serverFinished, .finished):
            try serverFinished(message.body, out: &out)
            transcript += bytes
            if result.resumed { try clientFinished(out: &out) }
            try established(out: &out)
        case (.renegotiating, .serverHello):
            result.renegotiation = .serverHello
            phase = .done
        default:
            throw unexpected(message)
        }
    }

    private func unexpected(_ message: HandshakeMessage) -> TLSClientError {
        TLSClientError(.unexpectedMessage, "an unexpected \(message.type) while we waited for \(phase.rawValue)")
    }

    private mutating func serverHello(_ body: ByteBuffer) throws {
        let sh = try ServerHello(parsingBody: body)
        result.serverHello = sh
        let version = try sh.negotiatedVersion()
        guard version == .tls12 else {
            throw TLSClientError(.unsupportedParameters, "the server answered a TLS 1.2 hello with \(version.displayName)")
        }
        guard configuration.cipherSuites.contains(sh.cipherSuite), let p = TLS12SuiteParameters.forSuite(sh.cipherSuite) else {
            throw TLSClientError(.unsupportedParameters, "the server chose \(sh.cipherSuite.name), which we did not offer")
        }
        guard sh.compressionMethod == 0 else {
            throw TLSClientError(.unsupportedParameters, "the server chose compression method \(sh.compressionMethod)")
        }
        params = p
        serverRandom = sh.random
        extendedMasterSecret = try sh.extensions.hasExtendedMasterSecret()
        if extendedMasterSecret && !configuration.extendedMasterSecret {
            throw TLSClientError(.unsupportedParameters, "the server sent extended_master_secret, which we did not offer")
        }
        // RFC 5746 §3.4: on an initial handshake renegotiated_connection must be empty.
        if let ri = try sh.extensions.renegotiationInfo(), !ri.isEmpty {
            throw TLSClientError(.malformed, "renegotiation_info of \(ri.count) bytes on an initial handshake")
        }
        guard let resume = configuration.resume else {
            phase = .serverFlight
            return
        }
        // RFC 5246 §7.4.1.3, RFC 5077 §3.4: the server echoes the session ID to resume.
        guard !offeredSessionID.isEmpty, sh.sessionID == offeredSessionID else {
            result.resumptionDeclined = true
            phase = .done
            return
        }
        let session = resume.session
        guard sh.cipherSuite == session.suite else {
            throw TLSClientError(.unexpectedMessage, "the server resumed the session with \(sh.cipherSuite.name), not its suite \(session.suite.name)")
        }
        // RFC 7627 §5.3: a session resumes only with the same extended-master-secret choice.
        guard extendedMasterSecret == session.extendedMasterSecret else {
            throw TLSClientError(.unexpectedMessage, "the server resumed a session with a different extended_master_secret choice")
        }
        result.resumed = true
        masterSecret = session.masterSecret
        ticket = session.ticket
        deriveKeys()
        phase = .serverCCS
    }

    private func parseServerKeyExchange(_ body: ByteBuffer) throws -> (group: NamedGroup, point: [UInt8]) {
        // RFC 8422 §5.4: ECParameters (curve_type 3 = named_curve, NamedCurve), ECPoint public<1..2^8-1>,
        // then RFC 5246 §7.4.3 digitally-signed: SignatureAndHashAlgorithm, opaque signature<0..2^16-1>.
        var b = body
        let f = "ServerKeyExchange"
        let curveType = try b.readStrict(UInt8.self, field: "\(f).curve_type")
        guard curveType == 3 else {
            throw TLSClientError(.unsupportedParameters, "the ServerKeyExchange uses explicit curve parameters (type \(curveType))")
        }
        let group = NamedGroup(try b.readStrict(UInt16.self, field: "\(f).namedcurve"))
        let point = try b.readTLSVectorStrict(.one, field: "\(f).public", min: 1)
        _ = try b.readStrict(UInt16.self, field: "\(f).signature_algorithm")
        _ = try b.readTLSVectorStrict(.two, field: "\(f).signature")
        try b.expectFullyConsumed(field: f)
        guard configuration.groups.contains(group) else {
            throw TLSClientError(.unsupportedParameters, "the server chose the curve \(group), which we did not offer")
        }
        return (group, Array(point.readableBytesView))
    }

    /// ServerHelloDone arrived: [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished.
    private mutating func clientFlight(out: inout ByteBuffer) throws {
        guard let kx = serverKeyExchange, let p = params else { throw TLSClientError(.unexpectedMessage, "no key exchange") }
        let (publicKey, preMaster) = try Self.keyAgreement(group: kx.group, serverPoint: kx.point)
        var messages = ByteBuffer()
        if certificateRequested {
            // RFC 5246 §7.4.6: a client without a suitable certificate sends an empty list.
            messages.writeImmutableBuffer(Self.handshake(.certificate) { $0.writeUInt24(0) })
        }
        // RFC 8422 §5.7: ClientECDiffieHellmanPublic: ECPoint ecdh_Yc<1..2^8-1>.
        messages.writeImmutableBuffer(Self.handshake(.clientKeyExchange) { b in b.writeTLSVector(.one) { $0.writeBytes(publicKey) } })
        transcript += messages.readableBytesView
        masterSecret = TLS12KeySchedule.masterSecret(
            p.hash, preMaster: preMaster, clientRandom: clientRandom, serverRandom: serverRandom,
            sessionHash: extendedMasterSecret ? p.hash.hash(transcript) : nil)
        deriveKeys()
        TLSRecord(contentType: .handshake, version: .tls12, fragment: messages).write(to: &out)
        try clientFinished(out: &out)
        phase = .serverCCS
    }

    /// ChangeCipherSpec, then our Finished under the new keys.
    private mutating func clientFinished(out: inout ByteBuffer) throws {
        guard let p = params else { return }
        TLSRecord(contentType: .changeCipherSpec, version: .tls12, fragment: ByteBuffer(bytes: [1])).write(to: &out)
        writeProtection = pendingWrite
        clientVerifyData = TLS12KeySchedule.finished(p.hash, master: masterSecret, client: true, transcript: transcript)
        let finished = Self.handshake(.finished) { $0.writeBytes(clientVerifyData) }
        transcript += finished.readableBytesView
        try seal(.handshake, Array(finished.readableBytesView), out: &out)
    }

    private mutating func serverFinished(_ body: ByteBuffer, out: inout ByteBuffer) throws {
        guard let p = params else { return }
        let expected = TLS12KeySchedule.finished(p.hash, master: masterSecret, client: false, transcript: transcript)
        guard body.readableBytesView.elementsEqual(expected) else {
            throw TLSClientError(.finishedMismatch, "the server's Finished does not verify (got \(Array(body.readableBytesView.prefix(12)).hexString), "
                                   + "expected \(expected.hexString)): the keys disagree")
        }
    }

    private mutating func established(out: inout ByteBuffer) throws {
        guard let p = params, let sh = result.serverHello else { return }
        result.established = true
        result.session = TLS12Session(suite: p.suite, masterSecret: masterSecret,
                                      sessionID: result.resumed ? offeredSessionID : sh.sessionID,
                                      ticket: ticket, extendedMasterSecret: extendedMasterSecret)
        if configuration.renegotiate && !result.resumed {
            let hello = buildHello(renegotiation: true)
            try seal(.handshake, Array(hello.handshakeBytes.readableBytesView), out: &out)
            phase = .renegotiating
        } else {
            // close_notify, so the server keeps the session (OpenSSL drops it after an unclean end).
            try seal(.alert, [AlertLevel.warning.rawValue, AlertDescription.closeNotify.rawValue], out: &out)
            phase = .done
        }
    }

    private mutating func seal(_ type: ContentType, _ plaintext: [UInt8], out: inout ByteBuffer) throws {
        guard writeProtection != nil else { throw TLSClientError(.unexpectedMessage, "no write keys") }
        try writeProtection!.seal(type, plaintext: plaintext).write(to: &out)
    }

    private mutating func deriveKeys() {
        guard let p = params else { return }
        let k = TLS12KeySchedule.keys(p, master: masterSecret, clientRandom: clientRandom, serverRandom: serverRandom)
        pendingWrite = TLS12RecordProtection(key: k.clientKey, salt: k.clientIV)
        pendingRead = TLS12RecordProtection(key: k.serverKey, salt: k.serverIV)
    }

    // MARK: Building

    private func buildHello(renegotiation: Bool) -> ClientHello {
        var b = ClientHelloBuilder(version: .tls12, cipherSuites: configuration.cipherSuites, serverName: configuration.serverName)
        b.groups = configuration.groups
        b.extendedMasterSecret = configuration.extendedMasterSecret
        b.statusRequest = false
        b.sessionTicket = false
        b.padForF5 = false
        if renegotiation {
            // RFC 5746 §3.5: renegotiated_connection = client_verify_data. Without RFC 5746 on the
            // server, a legacy renegotiation hello carries no renegotiation_info.
            b.secureRenegotiation = false
            if result.secureRenegotiation {
                b.extraExtensions = [TLSExtension(type: .renegotiationInfo) { r in r.writeTLSVector(.one) { $0.writeBytes(clientVerifyData) } }]
            }
        } else if case .ticket(let s) = configuration.resume {
            b.extraExtensions = [TLSExtension(type: .sessionTicket, data: s.ticket ?? [])]
        } else if configuration.requestTicket {
            b.extraExtensions = [TLSExtension(type: .sessionTicket, data: [])]
        }
        return b.build()
    }

    /// RFC 7685 §1: keep the hello out of 256–511 bytes (see ClientHelloBuilder.padForF5); done
    /// here because the session ID is set after building.
    static func padded(_ hello: ClientHello) -> ClientHello {
        var h = hello
        h.padForF5()
        return h
    }

    static func handshake(_ type: HandshakeType, _ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
        HandshakeMessage.framed(type, body)
    }

    /// Our ephemeral key and the shared secret (RFC 8422 §5.10: the x-coordinate; RFC 7748 for x25519).
    static func keyAgreement(group: NamedGroup, serverPoint: [UInt8]) throws -> (publicKey: [UInt8], preMaster: [UInt8]) {
        guard let key = EphemeralKey(group) else {
            throw TLSClientError(.unsupportedParameters, "the server chose the curve \(group), which we cannot compute")
        }
        return (key.publicBytes, try key.sharedSecret(with: serverPoint))
    }
}
