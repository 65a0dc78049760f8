import Crypto
import NIOCore
import TLSReport
import TLSWire

/// The protocol logic of our TLS 1.2 client (RFC 5246), which also speaks TLS 1.0 and 1.1
/// (RFC 2246, RFC 4346): ECDHE, DHE or RSA key exchange with AES-GCM or AES-CBC (the suites in
/// TLS12SuiteParameters.swift), full and abbreviated handshakes, extended master secret (RFC 7627),
/// one client-initiated renegotiation hello (RFC 5746), and one HTTP request whose response head
/// it reads (TLS12Client+HTTP.swift). No I/O: bytes in, actions out (`ClientRecordLoop` cuts the bytes into records);
/// `HandshakeClient` performs them. The handshake messages are in TLS12Client+Messages.swift, the
/// hellos in TLS12Client+Hello.swift.
///
/// Server signatures and certificates are deliberately not verified: a scanner needs the keys, not
/// the server's identity. The server's Finished is verified: that proves the keys are right.
struct TLS12ClientStateMachine: ClientRecordLoop {
    struct Configuration: Sendable {
        var serverName: String?
        /// The version we offer (client_version): TLS 1.0, 1.1 or 1.2. The server may choose a lower one.
        var version: ProtocolVersion = .tls12
        var cipherSuites: [CipherSuite] = TLS12SuiteParameters.suites
        var groups: [NamedGroup] = [.x25519, .secp256r1, .secp384r1]
        var extendedMasterSecret = true
        /// Send an empty session_ticket extension on a fresh handshake (RFC 5077 §3.2).
        var requestTicket = true
        var resume: Resumption?
        /// Once established, send an encrypted ClientHello and report the server's answer.
        var renegotiate = false
        /// Once established, send this request and read the response head (≤ 64 KiB).
        var httpRequest: String?
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

    typealias Result = TLS12HandshakeResult
    typealias Action = HandshakeAction<TLS12HandshakeResult>

    enum Phase: String, Sendable {
        case start
        case serverHello = "the ServerHello"
        case serverFlight = "the server's Certificate, ServerKeyExchange and ServerHelloDone"
        case serverCCS = "the server's ChangeCipherSpec"
        case serverFinished = "the server's Finished"
        case renegotiating = "an answer to the renegotiation hello"
        case httpResponse = "the HTTP response head"
        case done
    }

    let configuration: Configuration
    var phase = Phase.start
    var result = TLS12HandshakeResult()
    var records = ClientRecordBuffer()
    var reassembler = HandshakeReassembler()
    var transcript: [UInt8] = []
    var clientRandom: [UInt8] = []
    var serverRandom: [UInt8] = []
    var offeredSessionID: [UInt8] = []
    var params: TLS12SuiteParameters?
    var extendedMasterSecret = false
    var certificateSeen = false
    var certificateRequested = false
    /// The version the ServerHello chose; every record after it carries it (RFC 5246 §6.2.1).
    var version = ProtocolVersion.tls12
    var leafCertificate: [UInt8]?
    var serverKeyExchange: ServerKeyExchange?
    var masterSecret: [UInt8] = []
    var readProtection: TLS12RecordCipher?
    var writeProtection: TLS12RecordCipher?
    /// Derived keys, switched on at the server's (read) and our (write) ChangeCipherSpec.
    var pendingRead: TLS12RecordCipher?
    var pendingWrite: TLS12RecordCipher?
    var clientVerifyData: [UInt8] = []
    var ticket: [UInt8]?
    /// The HTTP response bytes read so far.
    var httpResponse = ByteBuffer()

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

    // MARK: The record loop's hooks

    var waitingFor: String { phase.rawValue }
    var isIdle: Bool { phase == .start || phase == .done }
    var isDone: Bool { phase == .done }
    mutating func markDone() { phase = .done }

    func continuing(with out: ByteBuffer) -> Action { out.readableBytes > 0 ? .send(out) : .none }

    /// A close or a reset is how many servers refuse a renegotiation.
    mutating func closeIsAnswer() -> Bool {
        if phase == .httpResponse {
            httpResponseEnded()
            return true
        }
        guard phase == .renegotiating else { return false }
        result.renegotiation = .closed
        return true
    }

    /// No answer to the renegotiation hello: it was ignored.
    mutating func silenceIsAnswer(out: inout ByteBuffer) -> Bool {
        guard phase == .renegotiating else { return false }
        result.renegotiation = .ignored
        return true
    }

    // MARK: Records

    mutating func handle(_ record: TLSRecord, out: inout ByteBuffer) throws {
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
            } else if phase == .httpResponse && alert.alertDescription == .closeNotify {
                httpResponseEnded()
            } else if alert.level == .warning && alert.alertDescription != .closeNotify {
                return // e.g. unrecognized_name: not the end of the handshake
            } else {
                throw TLSClientError(.alert, "the server sent \(alert) while we waited for \(phase.rawValue)", alert: alert)
            }
        case .applicationData where phase == .httpResponse:
            try httpData(content, out: &out)
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
            // Bounds-checked, not verified; the leaf's key is the RSA key exchange's.
            leafCertificate = try CertificateMessage(parsingBody: message.body, tls13: false).certificates.first
            certificateSeen = true
            transcript += bytes
        case (.serverFlight, .certificateStatus):
            guard certificateSeen, serverKeyExchange == nil else { throw unexpected(message) }
            transcript += bytes
        case (.serverFlight, .serverKeyExchange):
            guard certificateSeen, serverKeyExchange == nil, let p = params else { throw unexpected(message) }
            serverKeyExchange = try parseServerKeyExchange(message.body, p)
            transcript += bytes
        case (.serverFlight, .certificateRequest):
            guard keyExchangeRead, !certificateRequested else { throw unexpected(message) }
            certificateRequested = true
            transcript += bytes
        case (.serverFlight, .serverHelloDone):
            guard keyExchangeRead else { throw unexpected(message) }
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

    /// The server sent its key-exchange messages: a ServerKeyExchange, or for RSA key exchange
    /// (RFC 5246 §7.4.3: none is sent) the Certificate.
    var keyExchangeRead: Bool {
        params?.keyExchange == .rsa ? certificateSeen : serverKeyExchange != nil
    }

    func unexpected(_ message: HandshakeMessage) -> TLSClientError {
        TLSClientError(.unexpectedMessage, "an unexpected \(message.type) while we waited for \(phase.rawValue)")
    }
}
