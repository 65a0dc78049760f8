import Crypto
import NIOCore
import Testing
import TLSReport
@testable import TLSScanner
import TLSWire

@Suite("TLS 1.2 key schedule and record layer")
struct TLS12KeyScheduleTests {
    // The TLS 1.2 PRF test vectors posted to the IETF TLS list (msg03416, 2009), which many
    // libraries test against; both also match `openssl kdf … TLS1-PRF` of OpenSSL 3.0.
    @Test func prfSHA256Vector() {
        let out = TLS12KeySchedule.prf(.sha256, secret: [UInt8](hexString: "9bbe436ba940f017b17652849a71db35")!, label: "test label",
                                       seed: [UInt8](hexString: "a0ba9f936cda311827a6f796ffd5198c")!, count: 100)
        #expect(out.hexString == "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af"
            + "0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66")
    }

    @Test func prfSHA384Vector() {
        let out = TLS12KeySchedule.prf(.sha384, secret: [UInt8](hexString: "b80b733d6ceefcdc71566ea48e5567df")!, label: "test label",
                                       seed: [UInt8](hexString: "cd665cf6a8447dd6ff8b27555edb7465")!, count: 148)
        #expect(out.hexString == "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0"
            + "e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2"
            + "dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f")
    }

    @Test(arguments: [16, 32])
    func gcmRecordRoundTrip(keyLength: Int) throws {
        let key = [UInt8](repeating: 0x11, count: keyLength)
        var sender = TLS12RecordProtection(key: key, salt: [1, 2, 3, 4])
        var receiver = TLS12RecordProtection(key: key, salt: [1, 2, 3, 4])
        for (i, text) in [[UInt8](), [0x14, 0, 0, 12] + [UInt8](repeating: 9, count: 12), [UInt8](repeating: 0xAB, count: 1 << 14)].enumerated() {
            let record = try sender.seal(.handshake, plaintext: text)
            // RFC 5288 §3: 8-byte explicit nonce (our sequence number), ciphertext, 16-byte tag.
            #expect(record.fragment.readableBytes == text.count + 24)
            #expect(record.fragment.getInteger(at: record.fragment.readerIndex, as: UInt64.self) == UInt64(i))
            #expect(try receiver.open(record) == text)
        }
        #expect(receiver.sequence == 3)
    }

    @Test func tamperedOrReorderedRecordsDoNotOpen() throws {
        let key = [UInt8](repeating: 0x22, count: 16)
        var sender = TLS12RecordProtection(key: key, salt: [0, 0, 0, 1])
        let first = try sender.seal(.applicationData, plaintext: Array("hello".utf8))
        let second = try sender.seal(.applicationData, plaintext: Array("world".utf8))

        var receiver = TLS12RecordProtection(key: key, salt: [0, 0, 0, 1])
        // Out of order: the sequence number is in the additional data.
        #expect(throws: TLSClientError.self) { try receiver.open(second) }
        var tampered = first
        tampered.fragment.setInteger(UInt8(0xFF), at: tampered.fragment.readerIndex + 9)
        #expect(throws: TLSClientError.self) { try receiver.open(tampered) }
        // The content type is authenticated too.
        var retyped = first
        retyped.contentType = .handshake
        #expect(throws: TLSClientError.self) { try receiver.open(retyped) }
        var short = first
        short.fragment = ByteBuffer(bytes: [1, 2, 3])
        #expect(throws: TLSClientError.self) { try receiver.open(short) }
        #expect(try receiver.open(first) == Array("hello".utf8))
    }
}

@Suite("TLS 1.2 client state machine")
struct TLS12ClientStateMachineTests {
    /// Full handshake against the in-test server; returns the machine's last action.
    func handshake(suite: CipherSuite = CipherSuite(0xC02F), ems: Bool = true, corrupt: Bool = false, renegotiate: Bool = false,
                   byteAtATime: Bool = false) throws -> (TLS12ClientStateMachine, TLS12TestServer, TLS12ClientStateMachine.Action) {
        var config = TLS12ClientStateMachine.Configuration(serverName: "example.com")
        config.extendedMasterSecret = ems
        config.renegotiate = renegotiate
        var machine = TLS12ClientStateMachine(config)
        var server = TLS12TestServer(suite: suite)
        let flight = try server.firstFlightMessages(clientHelloRecords: machine.start())
        var action = TLS12ClientStateMachine.Action.none
        if byteAtATime {
            var records = TLS12TestServer.record(.handshake, flight)
            while let b = records.readSlice(length: 1) {
                action = machine.received(b)
                if case .send = action { #expect(records.readableBytes == 0) }
            }
        } else {
            // The whole flight in one record and one read.
            action = machine.received(TLS12TestServer.record(.handshake, flight))
        }
        guard case .send(let clientFlight) = action else {
            Issue.record("expected the client's flight, got \(action)")
            return (machine, server, action)
        }
        let answer = try server.finish(clientFlight: clientFlight, corrupt: corrupt)
        let last = machine.received(answer)
        return (machine, server, last)
    }

    @Test(arguments: [(CipherSuite(0xC02F), true), (CipherSuite(0xC030), true), (CipherSuite(0xC02B), false), (CipherSuite(0xC02C), false)])
    func fullHandshakeCompletes(suite: CipherSuite, ems: Bool) throws {
        let (_, server, action) = try handshake(suite: suite, ems: ems)
        guard case .finish(let bytes, let result) = action else { Issue.record("\(action)"); return }
        #expect(result.error == nil, "\(result.error?.detail ?? "")")
        #expect(result.established)
        #expect(!result.resumed)
        #expect(result.session?.masterSecret == server.masterSecret)
        #expect(result.session?.extendedMasterSecret == ems)
        #expect(result.session?.sessionID == server.sessionID)
        // The connection ends with an encrypted close_notify.
        var s = server
        var b = try #require(bytes)
        let (type, plain) = try #require(try s.open(&b))
        #expect(type == .alert && plain == [1, 0])
    }

    @Test func byteAtATimeGivesTheSameResult() throws {
        let (_, _, action) = try handshake(byteAtATime: true)
        guard case .finish(_, let result) = action else { Issue.record("\(action)"); return }
        #expect(result.established, "\(result.error?.detail ?? "")")
    }

    @Test func aFinishedThatDoesNotVerifyIsAnError() throws {
        let (_, _, action) = try handshake(corrupt: true)
        guard case .finish(_, let result) = action else { Issue.record("\(action)"); return }
        #expect(!result.established)
        #expect(result.error?.code == .finishedMismatch)
        #expect(result.error?.detail.contains("does not verify") == true)
    }

    @Test func renegotiationHelloCarriesVerifyData() throws {
        let (machine, server, action) = try handshake(renegotiate: true)
        guard case .send(var bytes) = action else { Issue.record("\(action)"); return }
        var s = server
        let (type, plain) = try #require(try s.open(&bytes))
        #expect(type == .handshake && plain.first == HandshakeType.clientHello.rawValue)
        let hello = try ClientHello(parsingBody: ByteBuffer(bytes: plain.dropFirst(4)))
        // RFC 5746 §3.5: renegotiated_connection = client_verify_data (12 bytes in TLS 1.2).
        let ri = try #require(try hello.extensions.renegotiationInfo())
        #expect(ri.count == 12 && ri == server.clientVerifyData)
        // A warning no_renegotiation ends it as "refused".
        var m = machine
        let refusal = m.received(try s.seal(.alert, [1, 100]))
        guard case .finish(_, let result) = refusal else { Issue.record("\(refusal)"); return }
        #expect(result.renegotiation == .alert(Alert(level: .warning, description: AlertDescription(100))))
    }

    @Test func renegotiationAnsweredWithServerHelloOrClose() throws {
        let (machine, server, _) = try handshake(renegotiate: true)
        var s = server
        var m = machine
        var sh = ByteBuffer()
        ServerHello(legacyVersion: .tls12, random: [UInt8](repeating: 1, count: 32), cipherSuite: CipherSuite(0xC02F)).writeHandshake(to: &sh)
        guard case .finish(_, let r) = m.received(try s.seal(.handshake, Array(sh.readableBytesView))) else { Issue.record("no finish"); return }
        #expect(r.renegotiation == .serverHello)
        var closed = machine
        guard case .finish(_, let c) = closed.peerClosed() else { Issue.record("no finish"); return }
        #expect(c.renegotiation == .closed)
        var silent = machine
        guard case .finish(_, let t) = silent.timedOut() else { Issue.record("no finish"); return }
        #expect(t.renegotiation == .ignored)
    }

    @Test func abbreviatedHandshakeOnASavedSession() throws {
        let (_, server, action) = try handshake()
        guard case .finish(_, let first) = action, let session = first.session else { Issue.record("\(action)"); return }
        var config = TLS12ClientStateMachine.Configuration()
        config.resume = .sessionID(session)
        var machine = TLS12ClientStateMachine(config)
        var records = machine.start()
        var hello = ByteBuffer()
        while var r = try records.readTLSRecord() { hello.writeBuffer(&r.fragment) }
        var transcript = Array(hello.readableBytesView)
        hello.moveReaderIndex(forwardBy: 4)
        let ch = try ClientHello(parsingBody: hello)
        #expect(ch.sessionID == server.sessionID)

        // RFC 5246 §7.3: ServerHello echoing the ID, CCS, Finished — keys from the saved master secret.
        let random = [UInt8](repeating: 5, count: 32)
        var sh = ByteBuffer()
        ServerHello(legacyVersion: .tls12, random: random, sessionID: ch.sessionID, cipherSuite: session.suite,
                    extensions: [TLSExtension(type: .extendedMasterSecret, data: [])]).writeHandshake(to: &sh)
        transcript += sh.readableBytesView
        let keys = TLS12KeySchedule.keys(.forSuite(session.suite)!, master: session.masterSecret, clientRandom: ch.random, serverRandom: random)
        var write = TLS12RecordProtection(key: keys.serverKey, salt: keys.serverIV)
        let verify = TLS12KeySchedule.finished(.sha256, master: session.masterSecret, client: false, transcript: transcript)
        var answer = TLS12TestServer.record(.handshake, sh)
        answer.writeImmutableBuffer(TLS12TestServer.record(.changeCipherSpec, ByteBuffer(bytes: [1])))
        try write.seal(.handshake, plaintext: Array(TLS12ClientStateMachine.handshake(.finished) { $0.writeBytes(verify) }.readableBytesView))
            .write(to: &answer)
        guard case .finish(let bytes, let result) = machine.received(answer) else { Issue.record("no finish"); return }
        #expect(result.resumed && result.established, "\(result.error?.detail ?? "")")
        // Our CCS and Finished follow (then close_notify).
        var b = try #require(bytes)
        #expect(try b.readTLSRecord()?.contentType == .changeCipherSpec)
    }

    @Test func aDeclinedSessionStopsAfterTheServerHello() throws {
        let session = TLS12Session(suite: CipherSuite(0xC02F), masterSecret: [UInt8](repeating: 1, count: 48),
                                   sessionID: [UInt8](repeating: 2, count: 32), ticket: nil, extendedMasterSecret: true)
        var config = TLS12ClientStateMachine.Configuration()
        config.resume = .sessionID(session)
        var machine = TLS12ClientStateMachine(config)
        _ = machine.start()
        var sh = ByteBuffer()
        ServerHello(legacyVersion: .tls12, random: [UInt8](repeating: 5, count: 32), sessionID: [UInt8](repeating: 3, count: 32),
                    cipherSuite: CipherSuite(0xC02F), extensions: [TLSExtension(type: .extendedMasterSecret, data: [])]).writeHandshake(to: &sh)
        guard case .finish(_, let result) = machine.received(TLS12TestServer.record(.handshake, sh)) else { Issue.record("no finish"); return }
        #expect(result.resumptionDeclined && !result.resumed && result.error == nil)
    }

    @Test func everyPrefixOfTheServerFlightNeedsMoreBytes() throws {
        var machine = TLS12ClientStateMachine(.init())
        var server = TLS12TestServer()
        let flight = TLS12TestServer.record(.handshake, try server.firstFlightMessages(clientHelloRecords: machine.start()))
        for n in [0, 1, 4, 5, 6, flight.readableBytes - 1] {
            var m = machine
            guard case .none = m.received(flight.getSlice(at: 0, length: n)!) else { Issue.record("prefix \(n) acted"); return }
        }
    }

    @Test func truncatedServerKeyExchangeIsMalformed() throws {
        var machine = TLS12ClientStateMachine(.init())
        var server = TLS12TestServer()
        var flight = try server.firstFlightMessages(clientHelloRecords: machine.start())
        // Cut the flight inside the ServerKeyExchange and claim the short length: SKE ends early.
        var messages: [HandshakeMessage] = []
        var reassembler = HandshakeReassembler()
        reassembler.append(flight)
        while let m = try reassembler.nextMessage() { messages.append(m) }
        var out = ByteBuffer()
        for m in messages {
            if m.type == .serverKeyExchange {
                out.writeImmutableBuffer(TLS12ClientStateMachine.handshake(.serverKeyExchange) { $0.writeBytes(Array(m.body.readableBytesView.prefix(10))) })
            } else {
                out.writeImmutableBuffer(m.bytes)
            }
        }
        flight = out
        guard case .finish(_, let result) = machine.received(TLS12TestServer.record(.handshake, flight)) else { Issue.record("no finish"); return }
        #expect(result.error?.code == .malformed, "\(String(describing: result.error))")
        #expect(result.error?.detail.contains("ServerKeyExchange") == true, "\(result.error?.detail ?? "")")
    }

    @Test func unofferedSuiteOrCurveIsRefused() throws {
        var config = TLS12ClientStateMachine.Configuration()
        config.cipherSuites = [CipherSuite(0xC02F)]
        var machine = TLS12ClientStateMachine(config)
        var server = TLS12TestServer(suite: CipherSuite(0xC030))
        let flight = try server.firstFlightMessages(clientHelloRecords: machine.start())
        guard case .finish(_, let result) = machine.received(TLS12TestServer.record(.handshake, flight)) else { Issue.record("no finish"); return }
        #expect(result.error?.code == .unsupportedParameters)
    }
}
