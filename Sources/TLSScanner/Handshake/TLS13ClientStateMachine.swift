import Crypto
import NIOCore
import TLSReport
import TLSWire

/// A TLS 1.3 resumption ticket and the PSK it stands for (RFC 8446 §4.6.1).
struct TLS13Ticket: Sendable, Hashable {
    /// The suite of the connection that issued it: the PSK's hash, and 0-RTT's suite (§4.2.10).
    var suite: CipherSuite
    /// Seconds (at most seven days).
    var lifetime: UInt32
    var ageAdd: UInt32
    var nonce: [UInt8]
    var ticket: [UInt8]
    /// The early_data extension's max_early_data_size; nil: the ticket does not allow 0-RTT.
    var maxEarlyDataSize: UInt32?
    var psk: [UInt8]
    var receivedAt: NIODeadline
    /// The ALPN protocol of the issuing connection (0-RTT is accepted only with the same, §4.2.10).
    var alpn: String?
}

/// Everything one connection of our TLS 1.3 client learned.
struct TLS13HandshakeResult: Sendable {
    var serverHello: ServerHello?
    /// The group a HelloRetryRequest asked a key share for.
    var helloRetryGroup: NamedGroup?
    var helloRetryRequest = false
    /// The group of the key exchange.
    var group: NamedGroup?
    /// Both Finished messages exchanged and the server's verified: the keys are right.
    var established = false
    var encryptedExtensions: [TLSExtension] = []
    /// The protocol the server picked in EncryptedExtensions (RFC 7301).
    var alpn: String?
    /// The server's Certificate message, DER, leaf first (not verified here).
    var certificateChain: [[UInt8]] = []
    var certificateRequested = false
    /// We offered a ticket (pre_shared_key), and the server took it (pre_shared_key in its ServerHello).
    var pskOffered = false
    var pskAccepted = false
    /// Bytes of 0-RTT application data we sent (0: none, and no early_data extension).
    var earlyDataSent = 0
    /// EncryptedExtensions held early_data: the server took our 0-RTT data. nil when none was sent or
    /// the handshake did not get that far.
    var earlyDataAccepted: Bool?
    /// NewSessionTickets received after the handshake.
    var tickets: [TLS13Ticket] = []
    /// How the wait for tickets ended: quiet, an alert, or the server closing.
    var afterHandshake: String?
    var error: TLSClientError?

    var cipherSuite: CipherSuite? { serverHello?.cipherSuite }
}

/// The protocol logic of our TLS 1.3 client (RFC 8446): (EC)DHE key exchange (x25519, with
/// P-256/P-384 through a HelloRetryRequest), the three AEAD suites, resumption with a ticket (PSK
/// with (EC)DHE, binder computed), 0-RTT early data, and the NewSessionTickets after the handshake.
/// No I/O: bytes in, actions out; `HandshakeClient` performs them.
///
/// The server's certificate and CertificateVerify signature are deliberately not verified (a
/// scanner needs the keys and the chain, not the server's identity; the chain is judged
/// elsewhere). The server's Finished is verified: that proves the keys are right.
struct TLS13ClientStateMachine: HandshakeStateMachine {
    struct Configuration: Sendable {
        var serverName: String?
        var cipherSuites: [CipherSuite] = TLS13SuiteParameters.suites
        /// supported_groups. Groups without a share in the first hello can be asked for by a
        /// HelloRetryRequest (§4.1.4).
        var groups: [NamedGroup] = [.x25519, .secp256r1, .secp384r1]
        /// Groups that get a key share in the first hello.
        var keyShareGroups: [NamedGroup] = [.x25519]
        var alpn: [String] = ["h2", "http/1.1"]
        /// Offer this ticket (pre_shared_key, psk_dhe_ke).
        var resume: TLS13Ticket?
        /// Sent as 0-RTT application data when resuming with a ticket that allows it, cut to its
        /// max_early_data_size.
        var earlyData: [UInt8]?
        /// After the handshake, wait for NewSessionTickets (`firstTicketWait` for the first).
        var awaitTickets = true
        /// How long to wait for another ticket after one arrived. Servers send their tickets in one
        /// flight (OpenSSL: two, back to back), so a short wait sees them all; 300 ms here was a third
        /// of a whole scan of nginx (measured with scripts/bench-scan --mode full).
        var ticketGrace: TimeAmount = .milliseconds(50)
        /// How long to wait for the first ticket after our Finished: servers send them at once
        /// (OpenSSL, nginx) or never (BoringSSL servers without a ticket key), so a short wait
        /// keeps a ticketless server from costing the scan a whole read deadline.
        var firstTicketWait: TimeAmount = .milliseconds(1500)
        /// Stop after this many tickets.
        var maxTickets = 4
        /// The ticket age to claim, in milliseconds (tests); nil measures it.
        var ticketAgeMilliseconds: UInt32?
    }

    typealias Action = HandshakeAction<TLS13HandshakeResult>

    static func failure(_ error: TLSClientError) -> TLS13HandshakeResult {
        var r = TLS13HandshakeResult()
        r.error = error
        return r
    }

    private enum Phase: String, Sendable {
        case start
        case serverHello = "the ServerHello"
        case encryptedExtensions = "EncryptedExtensions"
        case certificate = "the server's Certificate"
        case certificateVerify = "CertificateVerify"
        case serverFinished = "the server's Finished"
        case tickets = "NewSessionTicket"
        case done
    }

    /// Most a server may send on one connection.
    static let maxReceivedBytes = 1 << 20

    let configuration: Configuration
    private var phase = Phase.start
    private var result = TLS13HandshakeResult()
    private var buffer = ByteBuffer()
    private var receivedBytes = 0
    private var reassembler = HandshakeReassembler()
    private var transcript: [UInt8] = []
    private var random: [UInt8] = []
    private var sessionID: [UInt8] = []
    private var keys: [EphemeralKey] = []
    /// The suite of a HelloRetryRequest, which the ServerHello must repeat (§4.1.4).
    private var retrySuite: CipherSuite?
    private var params: TLS13SuiteParameters?
    private var offeredTicket: TLS13Ticket?
    private var handshakeSecret: [UInt8] = []
    private var clientHandshakeSecret: [UInt8] = []
    private var serverHandshakeSecret: [UInt8] = []
    private var serverApplicationSecret: [UInt8] = []
    private var resumptionMasterSecret: [UInt8] = []
    private var readProtection: TLS13RecordProtection?
    private var writeProtection: TLS13RecordProtection?
    private var earlyWrite: TLS13RecordProtection?
    private var certificateRequestContext: [UInt8]?
    private var ticketArrived = false

    init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    // MARK: Events

    /// The first flight: our ClientHello, and 0-RTT data when resuming with a ticket that allows it.
    mutating func start() -> ByteBuffer {
        precondition(phase == .start, "start() called twice")
        var rng = SystemRandomNumberGenerator()
        random = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        // §D.4: a non-empty legacy_session_id (middlebox compatibility); servers then send a CCS.
        sessionID = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        keys = configuration.keyShareGroups.compactMap(EphemeralKey.init)
        if let t = configuration.resume, TLS13SuiteParameters.forSuite(t.suite) != nil {
            offeredTicket = t
            result.pskOffered = true
        }
        var early: [UInt8] = []
        if let t = offeredTicket, let max = t.maxEarlyDataSize, max > 0, let data = configuration.earlyData, !data.isEmpty {
            early = Array(data.prefix(Int(max)))
        }
        let hello = buildHello(cookie: nil, earlyData: !early.isEmpty, prefix: [])
        transcript = hello
        var out = ByteBuffer()
        TLSRecord(contentType: .handshake, version: .tls10, fragment: ByteBuffer(bytes: hello)).write(to: &out)
        if !early.isEmpty, let t = offeredTicket, let p = TLS13SuiteParameters.forSuite(t.suite) {
            // §7.1: client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello),
            // under the ticket's suite (§4.2.10).
            let earlySecret = TLS13KeySchedule.earlySecret(p.hash, psk: t.psk)
            var protection = TLS13RecordProtection(p, secret: TLS13KeySchedule.deriveSecret(
                p.hash, secret: earlySecret, label: "c e traffic", transcript: transcript))
            if let record = try? protection.seal(.applicationData, early) {
                record.write(to: &out)
                result.earlyDataSent = early.count
                earlyWrite = protection
            }
        }
        phase = .serverHello
        return out
    }

    mutating func received(_ bytes: ByteBuffer) -> Action {
        guard phase != .done, phase != .start else { return .none }
        var b = bytes
        receivedBytes += b.readableBytes
        buffer.writeBuffer(&b)
        var out = ByteBuffer()
        ticketArrived = false
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
        if out.readableBytes > 0 {
            return phase == .tickets ? .sendThenWaitBriefly(out, configuration.firstTicketWait) : .send(out)
        }
        return ticketArrived ? .waitBriefly(configuration.ticketGrace) : .none
    }

    mutating func peerClosed() -> Action {
        switch phase {
        case .done, .start: return .none
        case .tickets:
            result.afterHandshake = "the server closed the connection"
            phase = .done
            return .finish(send: nil, result)
        default:
            return fail(TLSClientError(.closed, "the server closed the connection while we waited for \(phase.rawValue)"))
        }
    }

    mutating func timedOut() -> Action {
        switch phase {
        case .done, .start: return .none
        case .tickets:
            // No (more) tickets: the handshake itself is complete.
            result.afterHandshake = "the server sent nothing more"
            var out = ByteBuffer()
            try? closeNotify(out: &out)
            phase = .done
            return .finish(send: out.readableBytes > 0 ? out : nil, result)
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
        switch record.contentType {
        case .changeCipherSpec:
            // §5: a single-byte 0x01 change_cipher_spec before the server's Finished is dropped
            // (middlebox compatibility); anything else is unexpected.
            guard [.serverHello, .encryptedExtensions, .certificate, .certificateVerify, .serverFinished].contains(phase),
                  record.fragment.readableBytesView.elementsEqual([1]) else {
                throw TLSClientError(.unexpectedMessage, "a ChangeCipherSpec record while we waited for \(phase.rawValue)")
            }
        case .alert:
            // Alerts come protected once the server has keys, but some servers send them in clear.
            try alert(Array(record.fragment.readableBytesView), out: &out)
        case .handshake where readProtection == nil:
            try handshake(record.fragment, out: &out)
        case .applicationData where readProtection != nil:
            let (type, content) = try readProtection!.open(record)
            switch type {
            case .handshake:
                // §5.1: zero-length handshake fragments MUST NOT be sent.
                guard !content.isEmpty else { throw TLSClientError(.malformed, "an empty handshake record") }
                try handshake(ByteBuffer(bytes: content), out: &out)
            case .alert:
                try alert(content, out: &out)
            case .applicationData where phase == .tickets:
                break // e.g. an answer to early data: not ours to read
            default:
                throw TLSClientError(.unexpectedMessage, "a protected \(type) record while we waited for \(phase.rawValue)")
            }
        default:
            throw TLSClientError(.unexpectedMessage, "a \(record.contentType) record while we waited for \(phase.rawValue)")
        }
    }

    private mutating func handshake(_ fragment: ByteBuffer, out: inout ByteBuffer) throws {
        reassembler.append(fragment)
        while phase != .done, let message = try reassembler.nextMessage() {
            try handle(message, out: &out)
        }
    }

    private mutating func alert(_ content: [UInt8], out: inout ByteBuffer) throws {
        guard content.count == 2 else { throw TLSClientError(.malformed, "an alert of \(content.count) bytes") }
        let alert = Alert(level: AlertLevel(content[0]), description: AlertDescription(content[1]))
        // §6.1: user_canceled is followed by close_notify; every other alert ends the connection.
        if alert.alertDescription == AlertDescription(90) { return }
        if phase == .tickets {
            result.afterHandshake = "the server sent \(alert)"
            phase = .done
            return
        }
        throw TLSClientError(.alert, "the server sent \(alert) while we waited for \(phase.rawValue)", alert: alert)
    }

    /// §5.1: handshake messages MUST NOT span key changes, so nothing may follow them in a record.
    private func keysChanged(after what: String) throws {
        guard reassembler.bufferedBytes == 0 else {
            throw TLSClientError(.unexpectedMessage, "handshake bytes after \(what) in the same record (a message spans a key change)")
        }
    }

    // MARK: Handshake messages

    private mutating func handle(_ message: HandshakeMessage, out: inout ByteBuffer) throws {
        let bytes = Array(message.bytes.readableBytesView)
        switch (phase, message.type) {
        case (.serverHello, .serverHello):
            try serverHello(message.body, bytes, out: &out)
        case (.encryptedExtensions, .encryptedExtensions):
            try encryptedExtensions(message.body)
            transcript += bytes
        case (.certificate, .certificateRequest):
            guard certificateRequestContext == nil else { throw unexpected(message) }
            certificateRequestContext = try CertificateRequest13(parsingBody: message.body).context
            result.certificateRequested = true
            transcript += bytes
        case (.certificate, .certificate):
            let c = try CertificateMessage(parsingBody: message.body, tls13: true)
            // §4.4.2: the server's context is empty; §4.4.2.4: its list is never empty.
            guard c.context.isEmpty else { throw TLSClientError(.malformed, "a server Certificate with a request context") }
            guard !c.certificates.isEmpty else { throw TLSClientError(.malformed, "the server's Certificate message is empty") }
            result.certificateChain = c.certificates
            transcript += bytes
            phase = .certificateVerify
        case (.certificateVerify, .certificateVerify):
            // §4.4.3: SignatureScheme algorithm; opaque signature<0..2^16-1>. Parsed, not verified.
            var b = message.body
            _ = try b.readStrict(UInt16.self, field: "CertificateVerify.algorithm")
            _ = try b.readTLSVectorStrict(.two, field: "CertificateVerify.signature")
            try b.expectFullyConsumed(field: "CertificateVerify")
            transcript += bytes
            phase = .serverFinished
        case (.serverFinished, .finished):
            try serverFinished(message.body, bytes, out: &out)
        case (.tickets, .newSessionTicket):
            try newSessionTicket(message.body, out: &out)
        case (.tickets, .keyUpdate):
            try keyUpdate(message.body)
        default:
            throw unexpected(message)
        }
    }

    private func unexpected(_ message: HandshakeMessage) -> TLSClientError {
        TLSClientError(.unexpectedMessage, "an unexpected \(message.type) while we waited for \(phase.rawValue)")
    }

    private mutating func serverHello(_ body: ByteBuffer, _ bytes: [UInt8], out: inout ByteBuffer) throws {
        let sh = try ServerHello(parsingBody: body)
        let version = try sh.negotiatedVersion()
        guard version == .tls13 else {
            result.serverHello = sh
            throw TLSClientError(.unsupportedParameters, "the server answered a TLS 1.3 hello with \(version.displayName)")
        }
        // §4.1.3: legacy_session_id_echo must be ours, compression 0.
        guard sh.sessionID == sessionID else {
            throw TLSClientError(.malformed, "the ServerHello's legacy_session_id_echo is not the session ID we sent")
        }
        guard sh.compressionMethod == 0 else {
            throw TLSClientError(.malformed, "a TLS 1.3 ServerHello with compression method \(sh.compressionMethod)")
        }
        guard configuration.cipherSuites.contains(sh.cipherSuite), let p = TLS13SuiteParameters.forSuite(sh.cipherSuite) else {
            throw TLSClientError(.unsupportedParameters, "the server chose \(sh.cipherSuite.name), which we did not offer")
        }
        if sh.isHelloRetryRequest {
            try helloRetryRequest(sh, bytes, p, out: &out)
            return
        }
        if let r = retrySuite, r != sh.cipherSuite {
            throw TLSClientError(.malformed, "the ServerHello's suite \(sh.cipherSuite.name) is not the HelloRetryRequest's \(r.name)")
        }
        result.serverHello = sh

        // §4.2.11: the server takes a PSK by naming its index.
        var psk: [UInt8]?
        if let index = try sh.extensions.serverSelectedIdentity() {
            guard let t = offeredTicket else {
                throw TLSClientError(.unexpectedMessage, "the ServerHello selects a pre-shared key, which we did not offer")
            }
            guard index == 0 else { throw TLSClientError(.malformed, "the server selected PSK identity \(index); we offered one") }
            guard TLS13SuiteParameters.forSuite(t.suite)?.hash == p.hash else {
                throw TLSClientError(.malformed, "the server resumed with \(p.suite.name), whose hash is not the ticket's")
            }
            psk = t.psk
            result.pskAccepted = true
        }
        // We offer psk_dhe_ke only: there is always a key exchange.
        guard let share = try sh.extensions.serverKeyShare() else {
            throw TLSClientError(.unsupportedParameters, "the ServerHello has no key_share (psk_ke, which we did not offer)")
        }
        guard let key = keys.first(where: { $0.group == share.group }) else {
            throw TLSClientError(.unsupportedParameters, "the server's key share is for \(share.group), which we sent no share for")
        }
        let shared = try key.sharedSecret(with: share.keyExchange)
        result.group = share.group
        params = p
        transcript += bytes
        let early = TLS13KeySchedule.earlySecret(p.hash, psk: psk)
        handshakeSecret = TLS13KeySchedule.handshakeSecret(p.hash, earlySecret: early, sharedSecret: shared)
        clientHandshakeSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: handshakeSecret, label: "c hs traffic", transcript: transcript)
        serverHandshakeSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: handshakeSecret, label: "s hs traffic", transcript: transcript)
        readProtection = TLS13RecordProtection(p, secret: serverHandshakeSecret)
        try keysChanged(after: "the ServerHello")
        phase = .encryptedExtensions
    }

    /// §4.1.4: at most one HelloRetryRequest; answer it with a second ClientHello carrying a share
    /// for the group it names and its cookie, without early data (§4.2.10).
    private mutating func helloRetryRequest(_ hrr: ServerHello, _ bytes: [UInt8], _ p: TLS13SuiteParameters, out: inout ByteBuffer) throws {
        guard retrySuite == nil else {
            throw TLSClientError(.unexpectedMessage, "a second HelloRetryRequest (RFC 8446 §4.1.4 allows one)")
        }
        retrySuite = p.suite
        result.helloRetryRequest = true
        let group = try hrr.extensions.helloRetryRequestGroup()
        let cookie = hrr.extensions[.cookie]?.data
        guard group != nil || cookie != nil else {
            throw TLSClientError(.malformed, "a HelloRetryRequest that asks for nothing (no key_share, no cookie)")
        }
        if let group {
            guard configuration.groups.contains(group) else {
                throw TLSClientError(.unsupportedParameters, "the HelloRetryRequest asks for \(group), which we did not offer")
            }
            guard !keys.contains(where: { $0.group == group }) else {
                throw TLSClientError(.malformed, "the HelloRetryRequest asks for a \(group) share, which we already sent")
            }
            guard let key = EphemeralKey(group) else {
                throw TLSClientError(.unsupportedParameters, "the HelloRetryRequest asks for \(group), which we cannot compute")
            }
            keys = [key]
            result.helloRetryGroup = group
        }
        if result.earlyDataSent > 0 { result.earlyDataAccepted = false }
        earlyWrite = nil
        // §4.1.4: keep only a PSK whose hash is the HelloRetryRequest's suite's.
        if let t = offeredTicket, TLS13SuiteParameters.forSuite(t.suite)?.hash != p.hash {
            offeredTicket = nil
            result.pskOffered = false
        }
        transcript = TLS13KeySchedule.messageHash(p.hash, clientHello1: transcript) + bytes
        let hello = buildHello(cookie: cookie, earlyData: false, prefix: transcript)
        transcript += hello
        TLSRecord(contentType: .handshake, version: .tls12, fragment: ByteBuffer(bytes: hello)).write(to: &out)
    }

    private mutating func encryptedExtensions(_ body: ByteBuffer) throws {
        let ee = try EncryptedExtensions(parsingBody: body)
        result.encryptedExtensions = ee.extensions
        if let protocols = try ee.extensions.alpnProtocols() {
            // RFC 7301 §3.1: exactly one protocol, one we offered.
            let name = protocols.count == 1 ? String(decoding: protocols[0], as: UTF8.self) : nil
            guard let name, configuration.alpn.contains(name) else {
                throw TLSClientError(.malformed, "EncryptedExtensions names ALPN \(protocols.map { String(decoding: $0, as: UTF8.self) }), "
                                     + "not one protocol we offered")
            }
            result.alpn = name
        }
        let accepted = try ee.extensions.hasEmptyEarlyData()
        if accepted && !(result.earlyDataSent > 0 && result.pskAccepted) {
            throw TLSClientError(.unexpectedMessage, "EncryptedExtensions accepts early data that we did not send")
        }
        if result.earlyDataSent > 0 { result.earlyDataAccepted = accepted }
        phase = result.pskAccepted ? .serverFinished : .certificate
    }

    private mutating func serverFinished(_ body: ByteBuffer, _ bytes: [UInt8], out: inout ByteBuffer) throws {
        guard let p = params else { throw TLSClientError(.unexpectedMessage, "no keys") }
        let expected = TLS13KeySchedule.verifyData(p.hash, baseKey: serverHandshakeSecret, transcript: transcript)
        guard body.readableBytesView.elementsEqual(expected) else {
            throw TLSClientError(.finishedMismatch, "the server's Finished does not verify (got "
                + "\(Array(body.readableBytesView.prefix(p.hash.length)).hexString), expected \(expected.hexString)): the keys disagree")
        }
        transcript += bytes
        let master = TLS13KeySchedule.masterSecret(p.hash, handshakeSecret: handshakeSecret)
        let clientApplicationSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: master, label: "c ap traffic", transcript: transcript)
        serverApplicationSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: master, label: "s ap traffic", transcript: transcript)
        readProtection = TLS13RecordProtection(p, secret: serverApplicationSecret)
        try keysChanged(after: "the server's Finished")

        // §4.5: EndOfEarlyData under the early keys when the server took 0-RTT data.
        if result.earlyDataAccepted == true, var early = earlyWrite {
            let eoed = Self.handshake(.endOfEarlyData) { _ in }
            try early.seal(.handshake, eoed).write(to: &out)
            transcript += eoed
        }
        var write = TLS13RecordProtection(p, secret: clientHandshakeSecret)
        if let context = certificateRequestContext {
            // §4.4.2: a client without a certificate sends an empty list, echoing the context.
            let certificate = Self.handshake(.certificate) { b in
                b.writeTLSVector(.one) { $0.writeBytes(context) }
                b.writeTLSVector(.three) { _ in }
            }
            try write.seal(.handshake, certificate).write(to: &out)
            transcript += certificate
        }
        let verify = TLS13KeySchedule.verifyData(p.hash, baseKey: clientHandshakeSecret, transcript: transcript)
        let finished = Self.handshake(.finished) { $0.writeBytes(verify) }
        try write.seal(.handshake, finished).write(to: &out)
        transcript += finished
        resumptionMasterSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: master, label: "res master", transcript: transcript)
        writeProtection = TLS13RecordProtection(p, secret: clientApplicationSecret)
        result.established = true
        if configuration.awaitTickets {
            phase = .tickets
        } else {
            try closeNotify(out: &out)
            phase = .done
        }
    }

    private mutating func newSessionTicket(_ body: ByteBuffer, out: inout ByteBuffer) throws {
        guard let p = params else { return }
        let nst = try NewSessionTicket13(parsingBody: body)
        result.tickets.append(TLS13Ticket(
            suite: p.suite, lifetime: nst.lifetime, ageAdd: nst.ageAdd, nonce: nst.nonce, ticket: nst.ticket,
            maxEarlyDataSize: try nst.maxEarlyDataSize(),
            psk: TLS13KeySchedule.resumptionPSK(p.hash, resumptionMasterSecret: resumptionMasterSecret, nonce: nst.nonce),
            receivedAt: .now(), alpn: result.alpn))
        if result.tickets.count >= configuration.maxTickets {
            try closeNotify(out: &out)
            phase = .done
        } else {
            ticketArrived = true
        }
    }

    /// §4.6.3: the server's next traffic secret. (We never send data, so a requested update of
    /// ours is not owed before we close.)
    private mutating func keyUpdate(_ body: ByteBuffer) throws {
        guard let p = params else { return }
        var b = body
        let request = try b.readStrict(UInt8.self, field: "KeyUpdate.request_update")
        try b.expectFullyConsumed(field: "KeyUpdate")
        guard request <= 1 else { throw TLSClientError(.malformed, "KeyUpdate with request_update \(request)") }
        serverApplicationSecret = TLS13KeySchedule.nextTrafficSecret(p.hash, serverApplicationSecret)
        readProtection = TLS13RecordProtection(p, secret: serverApplicationSecret)
        try keysChanged(after: "KeyUpdate")
    }

    private mutating func closeNotify(out: inout ByteBuffer) throws {
        guard writeProtection != nil else { return }
        try writeProtection!.seal(.alert, [AlertLevel.warning.rawValue, AlertDescription.closeNotify.rawValue]).write(to: &out)
    }

    // MARK: Building

    /// A ClientHello handshake message. With a ticket on offer, pre_shared_key comes last (§4.2.11)
    /// and its binder is an HMAC over `prefix` (the transcript before this hello) and the hello up to
    /// the binders (§4.2.11.2).
    private func buildHello(cookie: [UInt8]?, earlyData: Bool, prefix: [UInt8]) -> [UInt8] {
        var suites = configuration.cipherSuites
        if let t = offeredTicket, let i = suites.firstIndex(of: t.suite) { suites.insert(suites.remove(at: i), at: 0) }
        var b = ClientHelloBuilder(version: .tls13, cipherSuites: suites, serverName: configuration.serverName)
        b.groups = configuration.groups
        b.keyShares = keys.map(\.keyShare)
        b.alpn = configuration.alpn
        b.extendedMasterSecret = false
        b.secureRenegotiation = false
        b.sessionTicket = false
        b.statusRequest = false
        b.padForF5 = false
        if let cookie { b.extraExtensions.append(TLSExtension(type: .cookie, data: cookie)) }
        if earlyData { b.extraExtensions.append(TLSExtension(type: .earlyData, data: [])) }
        var hello = b.build()
        hello.random = random
        hello.sessionID = sessionID

        guard let t = offeredTicket, let p = TLS13SuiteParameters.forSuite(t.suite) else {
            return Array(Self.padded(hello, reserving: 0).handshakeBytes.readableBytesView)
        }
        let age = configuration.ticketAgeMilliseconds
            ?? UInt32(clamping: max(0, (NIODeadline.now() - t.receivedAt).nanoseconds / 1_000_000))
        // §4.2.11: PskIdentity identities<7..2^16-1> (identity<1..2^16-1>, uint32 obfuscated_ticket_age),
        // PskBinderEntry binders<33..2^16-1> (one entry, Hash.length bytes, filled in below).
        let psk = TLSExtension(type: .preSharedKey) { e in
            e.writeTLSVector(.two) { ids in
                ids.writeTLSVector(.two) { $0.writeBytes(t.ticket) }
                ids.writeInteger(age &+ t.ageAdd)
            }
            e.writeTLSVector(.two) { binders in binders.writeTLSVector(.one) { $0.writeBytes([UInt8](repeating: 0, count: p.hash.length)) } }
        }
        hello = Self.padded(hello, reserving: psk.data.count + 4)
        hello.extensions.append(psk)
        var bytes = Array(hello.handshakeBytes.readableBytesView)
        let bindersLength = 2 + 1 + p.hash.length
        let binderKey = TLS13KeySchedule.resumptionBinderKey(p.hash, earlySecret: TLS13KeySchedule.earlySecret(p.hash, psk: t.psk))
        let binder = TLS13KeySchedule.verifyData(p.hash, baseKey: binderKey, transcript: prefix + bytes[..<(bytes.count - bindersLength)])
        bytes.replaceSubrange((bytes.count - p.hash.length)..., with: binder)
        return bytes
    }

    /// RFC 7685 §1: keep the hello out of 256–511 bytes (see ClientHelloBuilder.padForF5), counting
    /// `reserving` bytes of extensions still to come (the padding must precede pre_shared_key).
    private static func padded(_ hello: ClientHello, reserving: Int) -> ClientHello {
        var h = hello
        h.padForF5(reserving: reserving)
        return h
    }

    static func handshake(_ type: HandshakeType, _ body: (inout ByteBuffer) -> Void) -> [UInt8] {
        Array(HandshakeMessage.framed(type, body).readableBytesView)
    }
}
