import Crypto
import NIOCore
import TLSReport
@testable import TLSScanner
import TLSWire

/// The server side of a TLS 1.2 ECDHE (x25519) handshake, just enough to drive
/// `TLS12ClientStateMachine` without a socket and to misbehave on purpose (a Finished that
/// decrypts but does not verify). Built from the same key schedule as the client, so it proves
/// nothing about interoperability — the openssl tests do that — only about the state machine.
struct TLS12TestServer {
    var suite: TLS12SuiteParameters
    var extendedMasterSecret = true
    var sessionID = [UInt8](repeating: 9, count: 32)
    let key = Curve25519.KeyAgreement.PrivateKey()
    let serverRandom = [UInt8](repeating: 7, count: 32)
    private(set) var clientRandom: [UInt8] = []
    private(set) var transcript: [UInt8] = []
    private(set) var masterSecret: [UInt8] = []
    private(set) var clientVerifyData: [UInt8] = []
    private var read: TLS12RecordProtection?
    private var write: TLS12RecordProtection?

    init(suite: CipherSuite = CipherSuite(0xC02F)) {
        self.suite = TLS12SuiteParameters.forSuite(suite)!
    }

    static func handshake(_ type: HandshakeType, _ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
        TLS12ClientStateMachine.handshake(type, body)
    }

    /// Handshake messages of the first server flight, unframed.
    mutating func firstFlightMessages(clientHelloRecords: ByteBuffer) throws -> ByteBuffer {
        var records = clientHelloRecords
        var hello = ByteBuffer()
        while var r = try records.readTLSRecord() { hello.writeBuffer(&r.fragment) }
        transcript = Array(hello.readableBytesView)
        hello.moveReaderIndex(forwardBy: 4)
        let ch = try ClientHello(parsingBody: hello)
        clientRandom = ch.random
        extendedMasterSecret = extendedMasterSecret && ch.extensions.contains(.extendedMasterSecret)

        var out = ByteBuffer()
        var exts = [TLSExtension(type: .renegotiationInfo, data: [0])]
        if extendedMasterSecret { exts.append(TLSExtension(type: .extendedMasterSecret, data: [])) }
        ServerHello(legacyVersion: .tls12, random: serverRandom, sessionID: sessionID, cipherSuite: suite.suite, extensions: exts)
            .writeHandshake(to: &out)
        out.writeImmutableBuffer(Self.handshake(.certificate) { b in b.writeTLSVector(.three) { l in l.writeTLSVector(.three) { $0.writeBytes([0x30, 0x00]) } } })
        out.writeImmutableBuffer(Self.handshake(.serverKeyExchange) { b in
            b.writeInteger(UInt8(3))
            b.writeInteger(NamedGroup.x25519.rawValue)
            b.writeTLSVector(.one) { $0.writeBytes(key.publicKey.rawRepresentation) }
            b.writeInteger(UInt16(0x0804))
            b.writeTLSVector(.two) { $0.writeBytes([1, 2, 3, 4]) } // never verified by a scanner
        })
        out.writeImmutableBuffer(Self.handshake(.serverHelloDone) { _ in })
        transcript += out.readableBytesView
        return out
    }

    static func record(_ type: ContentType, _ fragment: ByteBuffer) -> ByteBuffer {
        var b = ByteBuffer()
        TLSRecord(contentType: type, version: .tls12, fragment: fragment).write(to: &b)
        return b
    }

    /// Reads the client's CKE, CCS and Finished; answers CCS and a Finished (`corrupt`: one bit flipped).
    mutating func finish(clientFlight: ByteBuffer, corrupt: Bool = false) throws -> ByteBuffer {
        var records = clientFlight
        guard var kx = try records.readTLSRecord(), kx.contentType == .handshake else { throw TLSClientError(.malformed, "no CKE") }
        transcript += kx.fragment.readableBytesView
        kx.fragment.moveReaderIndex(forwardBy: 4)
        let point = try kx.fragment.readTLSVectorStrict(.one, field: "point")
        let shared = try key.sharedSecretFromKeyAgreement(with: .init(rawRepresentation: Array(point.readableBytesView)))
        masterSecret = TLS12KeySchedule.masterSecret(
            suite.hash, preMaster: shared.withUnsafeBytes { Array($0) }, clientRandom: clientRandom, serverRandom: serverRandom,
            sessionHash: extendedMasterSecret ? suite.hash.hash(transcript) : nil)
        let keys = TLS12KeySchedule.keys(suite, master: masterSecret, clientRandom: clientRandom, serverRandom: serverRandom)
        read = TLS12RecordProtection(key: keys.clientKey, salt: keys.clientIV)
        write = TLS12RecordProtection(key: keys.serverKey, salt: keys.serverIV)
        guard let ccs = try records.readTLSRecord(), ccs.contentType == .changeCipherSpec,
              let fin = try records.readTLSRecord() else { throw TLSClientError(.malformed, "no CCS/Finished") }
        let clientFinished = try read!.open(fin)
        let expected = TLS12KeySchedule.finished(suite.hash, master: masterSecret, client: true, transcript: transcript)
        guard Array(clientFinished.dropFirst(4)) == expected else { throw TLSClientError(.finishedMismatch, "client Finished") }
        clientVerifyData = expected
        transcript += clientFinished
        var verify = TLS12KeySchedule.finished(suite.hash, master: masterSecret, client: false, transcript: transcript)
        if corrupt { verify[0] ^= 1 }
        let finished = Self.handshake(.finished) { $0.writeBytes(verify) }
        var out = Self.record(.changeCipherSpec, ByteBuffer(bytes: [1]))
        try write!.seal(.handshake, plaintext: Array(finished.readableBytesView)).write(to: &out)
        return out
    }

    /// Opens one of the client's protected records after the handshake.
    mutating func open(_ bytes: inout ByteBuffer) throws -> (ContentType, [UInt8])? {
        guard let r = try bytes.readTLSRecord() else { return nil }
        return (r.contentType, try read!.open(r))
    }

    mutating func seal(_ type: ContentType, _ plaintext: [UInt8]) throws -> ByteBuffer {
        var out = ByteBuffer()
        try write!.seal(type, plaintext: plaintext).write(to: &out)
        return out
    }
}
