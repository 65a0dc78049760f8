import NIOCore

/// Everything a server sent in answer to one ClientHello, up to where a probe stops reading.
public struct ServerFlight: Sendable {
    public var serverHello: ServerHello?
    /// The messages after the ServerHello that are in clear before TLS 1.3.
    public var certificate: CertificateMessage?
    /// ServerKeyExchange body, parsed on demand with the negotiated key exchange.
    public var serverKeyExchangeBody: ByteBuffer?
    /// Stapled OCSP response (CertificateStatus, RFC 6066 §8).
    public var ocspResponse: [UInt8]?
    public var certificateRequested = false
    public var serverHelloDone = false
    /// A fatal alert, or a warning-level close_notify, that ended the exchange.
    public var alert: Alert?
    /// Warning alerts that did not end it (e.g. unrecognized_name).
    public var warnings: [Alert] = []
    public var sslv2ServerHello: SSLv2ServerHello?
    /// An SSL 2.0 ERROR message's code (e.g. 1 no-cipher-error).
    public var sslv2Error: UInt16?
    public var firstRecordVersion: ProtocolVersion?
    /// Records a TLS 1.3 server sends after its ServerHello (encrypted; content type 23) or a CCS.
    public var sawEncryptedRecords = false
    public var bytesReceived = 0

    public init() {}

    public func serverKeyExchange() throws -> ServerKeyExchange? {
        guard let body = serverKeyExchangeBody, let kx = serverHello?.cipherSuite.info?.keyExchange else { return nil }
        return try ServerKeyExchange(parsingBody: body, keyExchange: kx)
    }
}

/// Parses a server's bytes, fed in any chunking, into a `ServerFlight`.
public struct ServerFlightParser: Sendable {
    /// Where a probe may stop reading.
    public enum StopPoint: Sendable {
        /// At the ServerHello (or HelloRetryRequest): enough for version and suite probes.
        case serverHello
        /// At ServerHelloDone before TLS 1.3 (certificate and key exchange in clear); at the
        /// ServerHello for TLS 1.3, after which everything is encrypted.
        case serverHelloDone
        /// At the ServerHello, unless the chosen suite sends a finite-field DH prime
        /// (`usesEphemeralFiniteFieldDH`): then at its ServerKeyExchange, which carries the prime.
        /// Lets a suite enumeration read each DH suite's prime without a connection of its own.
        case serverHelloOrDHParameters
    }

    public private(set) var flight = ServerFlight()
    public let stopAt: StopPoint
    public let maxBytes: Int
    private var buffer = ByteBuffer()
    private var reassembler = HandshakeReassembler()
    public private(set) var isComplete = false
    /// Bytes received after the stop point (the start of whatever the server sent next).
    public var leftover: ByteBuffer { buffer }

    public init(stopAt: StopPoint, maxBytes: Int = 512 * 1024) {
        self.stopAt = stopAt
        self.maxBytes = maxBytes
    }

    /// Feeds bytes; returns true once the flight is complete (a further feed is ignored).
    /// Throws `TLSWireError` when the bytes are not TLS or a message is malformed.
    @discardableResult
    public mutating func feed(_ bytes: ByteBuffer) throws -> Bool {
        guard !isComplete else { return true }
        var b = bytes
        flight.bytesReceived += b.readableBytes
        buffer.writeBuffer(&b)
        if flight.bytesReceived > maxBytes {
            throw TLSWireError(.tooLong, field: "server flight", detail: "more than \(maxBytes) bytes before the stop point")
        }
        try process()
        return isComplete
    }

    private mutating func process() throws {
        // An SSL 2.0 answer: 2-byte header with the high bit set (no TLS record starts with ≥0x80).
        if flight.firstRecordVersion == nil, let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), first & 0x80 != 0 {
            guard buffer.readableBytes >= 3 else { return }
            let length = Int(buffer.getInteger(at: buffer.readerIndex, as: UInt16.self)! & 0x7FFF)
            guard buffer.readableBytes >= 2 + length else { return }
            let body = buffer.getSlice(at: buffer.readerIndex + 2, length: length)!
            let msgType = body.getInteger(at: body.readerIndex, as: UInt8.self)
            flight.firstRecordVersion = .sslv2
            switch msgType {
            case 4: flight.sslv2ServerHello = try SSLv2ServerHello(parsingRecordBody: body)
            case 0:
                // SSL 2.0 ERROR: msg_type 0, error code (2 bytes).
                flight.sslv2Error = body.getInteger(at: body.readerIndex + 1, as: UInt16.self) ?? 0
            default:
                throw TLSWireError(.notTLS, field: "SSLv2 record", detail: "msg_type \(msgType.map(String.init) ?? "none")",
                                   bytes: Array(body.readableBytesView.prefix(32)))
            }
            isComplete = true
            return
        }
        while !isComplete, let record = try buffer.readTLSRecord() {
            if flight.firstRecordVersion == nil { flight.firstRecordVersion = record.version }
            switch record.contentType {
            case .alert:
                var f = record.fragment
                // An alert record holds level + description (RFC 8446 §6); a short or long one is malformed.
                guard f.readableBytes == 2 else {
                    // After a TLS 1.3 ServerHello, alerts are encrypted: indistinguishable from garbage.
                    if flight.serverHello != nil { flight.sawEncryptedRecords = true; isComplete = true; return }
                    throw TLSWireError(.invalidLength, field: "Alert", detail: "\(f.readableBytes) bytes")
                }
                let alert = Alert(level: AlertLevel(f.readInteger()!), description: AlertDescription(f.readInteger()!))
                if alert.level == .warning && alert.alertDescription != .closeNotify {
                    flight.warnings.append(alert)
                } else {
                    flight.alert = alert
                    isComplete = true
                }
            case .handshake:
                reassembler.append(record.fragment)
                while !isComplete, let message = try reassembler.nextMessage() {
                    try handle(message)
                }
            case .changeCipherSpec, .applicationData:
                // TLS 1.3 middlebox-compatibility CCS and encrypted handshake: nothing more in clear.
                if flight.serverHello != nil {
                    flight.sawEncryptedRecords = true
                    isComplete = true
                } else {
                    throw TLSWireError(.invalidValue, field: "record.content_type", detail: "\(record.contentType) before ServerHello")
                }
            default:
                throw TLSWireError(.invalidValue, field: "record.content_type", detail: "\(record.contentType) during the handshake")
            }
        }
    }

    private mutating func handle(_ message: HandshakeMessage) throws {
        switch message.type {
        case .serverHello:
            guard flight.serverHello == nil else {
                throw TLSWireError(.invalidValue, field: "handshake", detail: "second ServerHello")
            }
            let hello = try ServerHello(parsingBody: message.body)
            flight.serverHello = hello
            let version = try hello.negotiatedVersion()
            let doneAtServerHello: Bool
            switch stopAt {
            case .serverHello: doneAtServerHello = true
            case .serverHelloDone: doneAtServerHello = false
            case .serverHelloOrDHParameters: doneAtServerHello = hello.cipherSuite.info?.usesEphemeralFiniteFieldDH != true
            }
            if doneAtServerHello || hello.isHelloRetryRequest || version >= .tls13 { isComplete = true }
        case .certificate:
            guard flight.serverHello != nil else { throw outOfOrder(message) }
            flight.certificate = try CertificateMessage(parsingBody: message.body, tls13: false)
        case .certificateStatus:
            var b = message.body
            let type = try b.readStrict(UInt8.self, field: "CertificateStatus.status_type")
            let resp = try b.readTLSVectorStrict(.three, field: "CertificateStatus.response")
            if type == 1 { flight.ocspResponse = Array(resp.readableBytesView) }
        case .serverKeyExchange:
            guard flight.serverHello != nil else { throw outOfOrder(message) }
            flight.serverKeyExchangeBody = message.body
            if stopAt == .serverHelloOrDHParameters { isComplete = true }
        case .certificateRequest:
            flight.certificateRequested = true
        case .serverHelloDone:
            guard flight.serverHello != nil else { throw outOfOrder(message) }
            flight.serverHelloDone = true
            isComplete = true
        case .helloRequest:
            break // RFC 5246 §7.4.1.1: may be ignored.
        default:
            throw outOfOrder(message)
        }
    }

    private func outOfOrder(_ m: HandshakeMessage) -> TLSWireError {
        TLSWireError(.invalidValue, field: "handshake", detail: "unexpected \(m.type) in the server's first flight")
    }
}
