import Crypto
import NIOCore
import TLSReport
@testable import TLSScanner
import TLSWire

/// The server side of a TLS 1.3 (x25519, TLS_AES_128_GCM_SHA256) handshake, just enough to drive
/// `TLS13ClientStateMachine` without a socket and to misbehave on purpose. Built from the same key
/// schedule as the client (which RFC 8448 checks), so it proves nothing about interoperability —
/// the openssl tests do that — only about the state machine.
struct TLS13TestServer {
    let suite = TLS13SuiteParameters.forSuite(CipherSuite(0x1301))!
    let key = Curve25519.KeyAgreement.PrivateKey()
    private(set) var clientHello: ClientHello?
    private(set) var transcript: [UInt8] = []
    private var handshakeSecret: [UInt8] = []
    private var serverHandshakeSecret: [UInt8] = []
    private var write: TLS13RecordProtection?

    /// The ClientHello in a client's flight (its first record only: 0-RTT records follow).
    static func clientHello(_ flight: ByteBuffer) throws -> (ClientHello, [UInt8]) {
        var records = flight
        let record = try records.readTLSRecord()!
        var reassembler = HandshakeReassembler()
        reassembler.append(record.fragment)
        let message = try reassembler.nextMessage()!
        return (try ClientHello(parsingBody: message.body), Array(message.bytes.readableBytesView))
    }

    static func record(_ type: ContentType, _ bytes: [UInt8]) -> ByteBuffer {
        var out = ByteBuffer()
        TLSRecord(contentType: type, version: .tls12, fragment: ByteBuffer(bytes: bytes)).write(to: &out)
        return out
    }

    static func serverHelloBytes(random: [UInt8], sessionID: [UInt8], suite: UInt16 = 0x1301, extensions: [TLSExtension]) -> [UInt8] {
        var b = ByteBuffer()
        ServerHello(legacyVersion: .tls12, random: random, sessionID: sessionID, cipherSuite: CipherSuite(suite), extensions: extensions)
            .writeHandshake(to: &b)
        return Array(b.readableBytesView)
    }

    static let tls13 = TLSExtension(type: .supportedVersions, data: [3, 4])

    /// A HelloRetryRequest (RFC 8446 §4.1.4) asking for `group`, for the client's `flight`.
    static func helloRetryRequest(to flight: ByteBuffer, group: NamedGroup) throws -> ByteBuffer {
        let (ch, _) = try clientHello(flight)
        let selected = TLSExtension(type: .keyShare) { $0.writeInteger(group.rawValue) }
        return record(.handshake, serverHelloBytes(random: ServerHello.helloRetryRequestRandom, sessionID: ch.sessionID,
                                                   extensions: [tls13, selected]))
    }

    /// The ServerHello record (x25519), and the handshake keys derived.
    mutating func serverHello(to flight: ByteBuffer) throws -> ByteBuffer {
        let (ch, bytes) = try Self.clientHello(flight)
        clientHello = ch
        let share = try ch.extensions.clientKeyShares()!.first { $0.group == .x25519 }!
        let shared = try key.sharedSecretFromKeyAgreement(with: .init(rawRepresentation: share.keyExchange)).withUnsafeBytes { Array($0) }
        let keyShare = TLSExtension(type: .keyShare) { b in
            b.writeInteger(NamedGroup.x25519.rawValue)
            b.writeTLSVector(.two) { $0.writeBytes(key.publicKey.rawRepresentation) }
        }
        let sh = Self.serverHelloBytes(random: [UInt8](repeating: 7, count: 32), sessionID: ch.sessionID, extensions: [Self.tls13, keyShare])
        transcript = bytes + sh
        let h = suite.hash
        handshakeSecret = TLS13KeySchedule.handshakeSecret(h, earlySecret: TLS13KeySchedule.earlySecret(h, psk: nil), sharedSecret: shared)
        serverHandshakeSecret = TLS13KeySchedule.deriveSecret(h, secret: handshakeSecret, label: "s hs traffic", transcript: transcript)
        write = TLS13RecordProtection(suite, secret: serverHandshakeSecret)
        return Self.record(.handshake, sh)
    }

    /// EncryptedExtensions, Certificate, CertificateVerify, Finished in one protected record;
    /// `corruptFinished` flips a bit of verify_data (the record still decrypts).
    mutating func flight(alpn: String? = nil, corruptFinished: Bool = false) throws -> ByteBuffer {
        var messages: [UInt8] = []
        var ee: [TLSExtension] = []
        if let alpn {
            ee.append(TLSExtension(type: .alpn) { b in b.writeTLSVector(.two) { l in l.writeTLSVector(.one) { $0.writeString(alpn) } } })
        }
        messages += TLS13ClientStateMachine.handshake(.encryptedExtensions) { b in
            b.writeTLSVector(.two) { l in
                for e in ee {
                    l.writeInteger(e.type.rawValue)
                    l.writeTLSVector(.two) { $0.writeBytes(e.data) }
                }
            }
        }
        messages += TLS13ClientStateMachine.handshake(.certificate) { b in
            b.writeTLSVector(.one) { _ in }
            b.writeTLSVector(.three) { l in
                l.writeTLSVector(.three) { $0.writeBytes(Self.fakeCertificate) }
                l.writeTLSVector(.two) { _ in }
            }
        }
        messages += TLS13ClientStateMachine.handshake(.certificateVerify) { b in
            b.writeInteger(UInt16(0x0804))
            b.writeTLSVector(.two) { $0.writeBytes([1, 2, 3, 4]) } // never verified by a scanner
        }
        transcript += messages
        var verify = TLS13KeySchedule.verifyData(suite.hash, baseKey: serverHandshakeSecret, transcript: transcript)
        if corruptFinished { verify[0] ^= 1 }
        let finished = TLS13ClientStateMachine.handshake(.finished) { $0.writeBytes(verify) }
        messages += finished
        transcript += finished
        var out = ByteBuffer()
        try write!.seal(.handshake, messages).write(to: &out)
        return out
    }

    static let fakeCertificate: [UInt8] = [0x30, 0x03, 0x02, 0x01, 0x07]

    /// A NewSessionTicket under the server's application keys (valid after `flight()`).
    /// `count` NewSessionTickets, then a close_notify: one server's answer to our close_notify,
    /// in one protected sequence.
    func ticketsThenCloseNotify(_ count: Int) throws -> ByteBuffer {
        let h = suite.hash
        let master = TLS13KeySchedule.masterSecret(h, handshakeSecret: handshakeSecret)
        var app = TLS13RecordProtection(suite, secret: TLS13KeySchedule.deriveSecret(h, secret: master, label: "s ap traffic", transcript: transcript))
        var out = ByteBuffer()
        for _ in 0..<count {
            let nst = TLS13ClientStateMachine.handshake(.newSessionTicket) { b in
                b.writeInteger(UInt32(7200))
                b.writeInteger(UInt32(0x0102_0304))
                b.writeTLSVector(.one) { $0.writeBytes([0]) }
                b.writeTLSVector(.two) { $0.writeBytes([UInt8](repeating: 0xAA, count: 40)) }
                b.writeTLSVector(.two) { _ in }
            }
            try app.seal(.handshake, nst).write(to: &out)
        }
        try app.seal(.alert, [1, 0]).write(to: &out)
        return out
    }

    func ticket(maxEarlyData: UInt32?) throws -> ByteBuffer {
        let h = suite.hash
        let master = TLS13KeySchedule.masterSecret(h, handshakeSecret: handshakeSecret)
        var app = TLS13RecordProtection(suite, secret: TLS13KeySchedule.deriveSecret(h, secret: master, label: "s ap traffic", transcript: transcript))
        let nst = TLS13ClientStateMachine.handshake(.newSessionTicket) { b in
            b.writeInteger(UInt32(7200))
            b.writeInteger(UInt32(0x0102_0304))
            b.writeTLSVector(.one) { $0.writeBytes([0]) }
            b.writeTLSVector(.two) { $0.writeBytes([UInt8](repeating: 0xAA, count: 40)) }
            b.writeTLSVector(.two) { l in
                if let maxEarlyData {
                    l.writeInteger(ExtensionType.earlyData.rawValue)
                    l.writeTLSVector(.two) { $0.writeInteger(maxEarlyData) }
                }
            }
        }
        var out = ByteBuffer()
        try app.seal(.handshake, nst).write(to: &out)
        return out
    }
}
