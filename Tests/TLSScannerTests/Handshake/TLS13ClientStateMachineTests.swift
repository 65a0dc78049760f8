import Crypto
import NIOCore
import Testing
import TLSReport
@testable import TLSScanner
import TLSWire

/// `TLS13ClientStateMachine` against the in-test server, and against bytes crafted to break it:
/// every failure ends with a typed error naming what happened, never a crash or a hang.
@Suite("TLS 1.3 client state machine")
struct TLS13ClientStateMachineTests {
    typealias Machine = TLS13ClientStateMachine

    func finished(_ action: Machine.Action, _ comment: Comment? = nil) -> TLS13HandshakeResult? {
        guard case .finish(_, let r) = action else { Issue.record("expected finish, got \(action)"); return nil }
        return r
    }

    @Test func fullHandshakeThenTicketsThenQuiet() throws {
        var m = Machine(.init(serverName: "example.com"))
        var s = TLS13TestServer()
        let first = m.start()
        let (hello, _) = try TLS13TestServer.clientHello(first)
        // The hello: TLS 1.3 only, x25519 share, ALPN h2 and http/1.1, psk_dhe_ke, SNI.
        #expect(try hello.extensions.clientSupportedVersions() == [.tls13])
        #expect(try hello.extensions.clientKeyShares()?.map(\.group) == [.x25519])
        #expect(try hello.extensions.alpnProtocols()?.map { String(decoding: $0, as: UTF8.self) } == ["h2", "http/1.1"])
        #expect(try hello.extensions.pskKeyExchangeModes() == [1])
        #expect(hello.serverName == "example.com")
        #expect(!hello.extensions.contains(.preSharedKey) && !hello.extensions.contains(.earlyData))

        var bytes = try s.serverHello(to: first)
        bytes.writeImmutableBuffer(TLS13TestServer.record(.changeCipherSpec, [1])) // middlebox compatibility
        bytes.writeImmutableBuffer(try s.flight(alpn: "h2"))
        // Our Finished, then only a short wait for a ticket that may never come.
        guard case .sendThenWaitBriefly(let clientFinished, .milliseconds(1500)) = m.received(bytes) else { Issue.record("no client Finished"); return }
        #expect(clientFinished.readableBytes > 0)
        guard case .waitBriefly = m.received(try s.ticket(maxEarlyData: 16384)) else { Issue.record("no short wait after a ticket"); return }
        guard let r = finished(m.timedOut()) else { return }
        #expect(r.established)
        #expect(r.error == nil)
        #expect(r.alpn == "h2")
        #expect(r.certificateChain == [TLS13TestServer.fakeCertificate])
        #expect(r.tickets.count == 1)
        #expect(r.tickets.first?.maxEarlyDataSize == 16384)
        #expect(r.tickets.first?.lifetime == 7200)
        #expect(r.tickets.first?.psk.count == 32)
    }

    /// Our close_notify goes with our Finished, so the server's answer to it (after any tickets)
    /// ends the wait: no timer on a server that issues no ticket.
    @Test(arguments: [0, 2])
    func closeNotifyGoesWithFinishedAndTheAnswerEndsTheWait(tickets: Int) throws {
        var m = Machine(.init())
        var s = TLS13TestServer()
        let first = m.start()
        var bytes = try s.serverHello(to: first)
        bytes.writeImmutableBuffer(try s.flight())
        guard case .sendThenWaitBriefly(var out, _) = m.received(bytes) else { Issue.record("no client Finished"); return }
        // Two protected records: our Finished, then our close_notify.
        #expect(try out.readTLSRecord()?.contentType == .applicationData)
        #expect(try out.readTLSRecord()?.contentType == .applicationData)
        #expect(out.readableBytes == 0)
        guard let r = finished(m.received(try s.ticketsThenCloseNotify(tickets))) else { return }
        #expect(r.established)
        #expect(r.tickets.count == tickets)
        #expect(r.afterHandshake == "the server answered our close_notify")
    }

    @Test func byteAtATimeGivesTheSameHandshake() throws {
        var m = Machine(.init())
        var s = TLS13TestServer()
        let first = m.start()
        var bytes = try s.serverHello(to: first)
        bytes.writeImmutableBuffer(try s.flight())
        var last = Machine.Action.none
        while let b = bytes.readSlice(length: 1) {
            last = m.received(b)
            if case .sendThenWaitBriefly = last { #expect(bytes.readableBytes == 0) }
        }
        guard case .sendThenWaitBriefly = last else { Issue.record("\(last)"); return }
        // No ticket at all: the short wait ends, and the handshake still counts.
        guard let r = finished(m.timedOut()) else { return }
        #expect(r.established && r.tickets.isEmpty)
    }

    @Test func finishedThatDoesNotVerify() throws {
        var m = Machine(.init())
        var s = TLS13TestServer()
        var bytes = try s.serverHello(to: m.start())
        bytes.writeImmutableBuffer(try s.flight(corruptFinished: true))
        guard let r = finished(m.received(bytes)) else { return }
        #expect(!r.established)
        #expect(r.error?.code == .finishedMismatch, "\(String(describing: r.error))")
    }

    @Test func garbageAfterServerHello() throws {
        for garbage in [TLS13TestServer.record(.applicationData, [UInt8](repeating: 0x5A, count: 40)),
                        TLS13TestServer.record(.handshake, [8, 0, 0, 2, 0, 0]), // EncryptedExtensions in clear
                        ByteBuffer(bytes: Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8))] {
            var m = Machine(.init())
            var s = TLS13TestServer()
            var bytes = try s.serverHello(to: m.start())
            bytes.writeImmutableBuffer(garbage)
            guard let r = finished(m.received(bytes)) else { continue }
            #expect(!r.established)
            #expect(r.serverHello != nil)
            #expect([TLSClientError.Code.badRecordMAC, .unexpectedMessage, .malformed].contains(r.error?.code ?? .closed),
                    "\(String(describing: r.error))")
        }
    }

    @Test func helloRetryRequestForP256ThenASecondOne() throws {
        var m = Machine(.init())
        let first = m.start()
        guard case .send(let second) = m.received(try TLS13TestServer.helloRetryRequest(to: first, group: .secp256r1)) else {
            Issue.record("no second ClientHello"); return
        }
        var records = second
        let record = try #require(try records.readTLSRecord())
        let ch2 = try ClientHello(parsingBody: record.fragment.getSlice(at: record.fragment.readerIndex + 4, length: record.fragment.readableBytes - 4)!)
        let (ch1, _) = try TLS13TestServer.clientHello(first)
        // §4.1.4: same random and session ID, one share for the group asked for.
        #expect(ch2.random == ch1.random && ch2.sessionID == ch1.sessionID)
        #expect(try ch2.extensions.clientKeyShares()?.map(\.group) == [.secp256r1])
        #expect(try ch2.extensions.clientKeyShares()?.first?.keyExchange.count == 65)
        // RFC 8446 §4.1.4: a second HelloRetryRequest ends the handshake.
        guard let r = finished(m.received(try TLS13TestServer.helloRetryRequest(to: first, group: .secp384r1))) else { return }
        #expect(r.error?.code == .unexpectedMessage)
        #expect(r.error?.detail.contains("second HelloRetryRequest") == true, "\(r.error?.detail ?? "")")
    }

    @Test(arguments: [(NamedGroup.x448, TLSClientError.Code.unsupportedParameters), (NamedGroup.ffdhe2048, .unsupportedParameters),
                      (NamedGroup.x25519, .malformed)])
    func helloRetryRequestForAGroupWeCannotUse(_ group: NamedGroup, _ code: TLSClientError.Code) throws {
        var m = Machine(.init())
        let first = m.start()
        guard let r = finished(m.received(try TLS13TestServer.helloRetryRequest(to: first, group: group))) else { return }
        #expect(r.error?.code == code, "\(String(describing: r.error))")
        #expect(r.helloRetryRequest)
    }

    @Test func truncatedSilentClosedOrDowngraded() throws {
        // Half a ServerHello, then the peer closes or goes quiet.
        var m1 = Machine(.init())
        var s1 = TLS13TestServer()
        var sh = try s1.serverHello(to: m1.start())
        let half = sh.readSlice(length: sh.readableBytes / 2)!
        guard case .none = m1.received(half) else { Issue.record("acted on half a record"); return }
        var m2 = m1
        #expect(finished(m1.peerClosed())?.error?.code == .closed)
        #expect(finished(m2.timedOut())?.error?.code == .timedOut)

        // A record length beyond RFC 8446 §5.1, and a TLS 1.2 answer.
        var m3 = Machine(.init())
        _ = m3.start()
        #expect(finished(m3.received(ByteBuffer(bytes: [22, 3, 3, 0xFF, 0xFF])))?.error?.code == .malformed)
        var m4 = Machine(.init())
        let (ch, _) = try TLS13TestServer.clientHello(m4.start())
        let tls12 = TLS13TestServer.serverHelloBytes(random: [UInt8](repeating: 1, count: 32), sessionID: ch.sessionID, suite: 0xC02F, extensions: [])
        let r4 = finished(m4.received(TLS13TestServer.record(.handshake, tls12)))
        #expect(r4?.error?.code == .unsupportedParameters, "\(String(describing: r4?.error))")
        // A fatal alert instead of a ServerHello names the alert.
        var m5 = Machine(.init())
        _ = m5.start()
        let r5 = finished(m5.received(TLS13TestServer.record(.alert, [2, 40])))
        #expect(r5?.error?.code == .alert && r5?.error?.alert?.alertDescription == .handshakeFailure)
    }

    @Test func resumptionHelloCarriesPSKLastWithAVerifiableBinderAndEarlyData() throws {
        let psk = [UInt8](repeating: 0x33, count: 32)
        let ticket = TLS13Ticket(suite: CipherSuite(0x1301), lifetime: 7200, ageAdd: 1000, nonce: [0], ticket: [9, 9, 9],
                                 maxEarlyDataSize: 4, psk: psk, receivedAt: .now(), alpn: nil)
        var config = Machine.Configuration()
        config.resume = ticket
        config.earlyData = Array("HEAD / HTTP/1.1\r\n".utf8)
        config.ticketAgeMilliseconds = 500
        var m = Machine(config)
        let flight = m.start()
        let (hello, bytes) = try TLS13TestServer.clientHello(flight)
        #expect(hello.extensions.last?.type == .preSharedKey)
        #expect(hello.extensions.contains(.earlyData))
        // identities: one, the ticket, age 500 + 1000; binders: one of 32 bytes, over the truncated hello.
        var psKey = ByteBuffer(bytes: hello.extensions.last!.data)
        var ids = psKey.readTLSVector(.two)!
        #expect(Array(ids.readTLSVector(.two)!.readableBytesView) == [9, 9, 9])
        #expect(ids.readInteger(as: UInt32.self) == 1500)
        let early = TLS13KeySchedule.earlySecret(.sha256, psk: psk)
        let binderKey = TLS13KeySchedule.resumptionBinderKey(.sha256, earlySecret: early)
        let binder = TLS13KeySchedule.verifyData(.sha256, baseKey: binderKey, transcript: Array(bytes.dropLast(35)))
        #expect(Array(bytes.suffix(32)) == binder)
        // The early data: one protected record after the hello, cut to max_early_data_size (4 bytes).
        var records = flight
        _ = try records.readTLSRecord()
        let zeroRTT = try #require(try records.readTLSRecord())
        var open = TLS13RecordProtection(TLS13SuiteParameters.forSuite(CipherSuite(0x1301))!, secret: TLS13KeySchedule.deriveSecret(
            .sha256, secret: early, label: "c e traffic", transcript: bytes))
        let (type, content) = try open.open(zeroRTT)
        #expect(type == .applicationData)
        #expect(content == Array("HEAD".utf8))
    }
}
