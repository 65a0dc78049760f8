import Crypto
import NIOCore
import TLSReport
import TLSWire

/// The protocol logic of our TLS 1.3 client (RFC 8446): (EC)DHE key exchange (x25519, with
/// P-256/P-384 through a HelloRetryRequest), the three AEAD suites, resumption with a ticket (PSK
/// with (EC)DHE, binder computed), 0-RTT early data, and the NewSessionTickets after the handshake.
/// No I/O: bytes in, actions out (`ClientRecordLoop` cuts the bytes into records); `HandshakeClient`
/// performs them. The handshake messages are in TLS13Client+Messages.swift, tickets, 0-RTT and
/// KeyUpdate in TLS13Client+Tickets.swift, the hellos in TLS13Client+Hello.swift.
///
/// The server's certificate and CertificateVerify signature are deliberately not verified (a
/// scanner needs the keys and the chain, not the server's identity; the chain is judged
/// elsewhere). The server's Finished is verified: that proves the keys are right.
struct TLS13ClientStateMachine: ClientRecordLoop {
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

    typealias Result = TLS13HandshakeResult
    typealias Action = HandshakeAction<TLS13HandshakeResult>

    enum Phase: String, Sendable {
        case start
        case serverHello = "the ServerHello"
        case encryptedExtensions = "EncryptedExtensions"
        case certificate = "the server's Certificate"
        case certificateVerify = "CertificateVerify"
        case serverFinished = "the server's Finished"
        case tickets = "NewSessionTicket"
        case done
    }

    let configuration: Configuration
    var phase = Phase.start
    var result = TLS13HandshakeResult()
    var records = ClientRecordBuffer()
    var reassembler = HandshakeReassembler()
    var transcript: [UInt8] = []
    var random: [UInt8] = []
    var sessionID: [UInt8] = []
    var keys: [EphemeralKey] = []
    /// The suite of a HelloRetryRequest, which the ServerHello must repeat (§4.1.4).
    var retrySuite: CipherSuite?
    var params: TLS13SuiteParameters?
    var offeredTicket: TLS13Ticket?
    var handshakeSecret: [UInt8] = []
    var clientHandshakeSecret: [UInt8] = []
    var serverHandshakeSecret: [UInt8] = []
    var serverApplicationSecret: [UInt8] = []
    var resumptionMasterSecret: [UInt8] = []
    var readProtection: TLS13RecordProtection?
    var writeProtection: TLS13RecordProtection?
    var earlyWrite: TLS13RecordProtection?
    var certificateRequestContext: [UInt8]?
    var ticketArrived = false
    /// Our close_notify is out: nothing more may be sent.
    var closeNotifySent = false

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
        if !early.isEmpty { sealEarlyData(early, out: &out) }
        phase = .serverHello
        return out
    }

    // MARK: The record loop's hooks

    var waitingFor: String { phase.rawValue }
    var isIdle: Bool { phase == .start || phase == .done }
    var isDone: Bool { phase == .done }
    mutating func markDone() { phase = .done }
    mutating func beginRead() { ticketArrived = false }

    /// After our Finished, a short wait for the first ticket; after a ticket, a shorter one for more.
    func continuing(with out: ByteBuffer) -> Action {
        if out.readableBytes > 0 {
            return phase == .tickets ? .sendThenWaitBriefly(out, configuration.firstTicketWait) : .send(out)
        }
        return ticketArrived ? .waitBriefly(configuration.ticketGrace) : .none
    }

    mutating func closeIsAnswer() -> Bool {
        guard phase == .tickets else { return false }
        result.afterHandshake = "the server closed the connection after our close_notify"
        return true
    }

    /// No (more) tickets: the handshake itself is complete.
    mutating func silenceIsAnswer(out: inout ByteBuffer) -> Bool {
        guard phase == .tickets else { return false }
        result.afterHandshake = !result.tickets.isEmpty ? "the server sent nothing more"
            : "the server sent nothing within \(configuration.firstTicketWait.nanoseconds / 1_000_000) ms of our Finished"
        try? closeNotify(out: &out)
        return true
    }

    // MARK: Records

    mutating func handle(_ record: TLSRecord, out: inout ByteBuffer) throws {
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
            result.afterHandshake = alert.alertDescription == .closeNotify
                ? "the server answered our close_notify" : "the server sent \(alert)"
            phase = .done
            return
        }
        throw TLSClientError(.alert, "the server sent \(alert) while we waited for \(phase.rawValue)", alert: alert)
    }

    /// §5.1: handshake messages MUST NOT span key changes, so nothing may follow them in a record.
    func keysChanged(after what: String) throws {
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

    func unexpected(_ message: HandshakeMessage) -> TLSClientError {
        TLSClientError(.unexpectedMessage, "an unexpected \(message.type) while we waited for \(phase.rawValue)")
    }
}
