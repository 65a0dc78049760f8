import NIOCore
import Testing
@testable import TLSWire

@Suite("Server messages")
struct ServerMessagesTests {
    func serverHelloBytes(version: ProtocolVersion = .tls12, suite: UInt16 = 0xC02F, random: [UInt8]? = nil,
                          extensions: [TLSExtension] = []) -> ByteBuffer {
        let sh = ServerHello(legacyVersion: version, random: random ?? [UInt8](repeating: 7, count: 32), cipherSuite: CipherSuite(suite),
                             extensions: extensions)
        var hs = ByteBuffer()
        sh.writeHandshake(to: &hs)
        return hs
    }

    func records(_ messages: ByteBuffer..., contentType: ContentType = .handshake) -> ByteBuffer {
        var out = ByteBuffer()
        for m in messages { TLSRecord(contentType: contentType, version: .tls12, fragment: m).write(to: &out) }
        return out
    }

    @Test func serverHelloThenDoneInOneRecord() throws {
        var hs = serverHelloBytes()
        var cert = ByteBuffer()
        cert.writeInteger(HandshakeType.certificate.rawValue)
        cert.writeTLSVector(.three) { b in b.writeTLSVector(.three) { l in l.writeTLSVector(.three) { $0.writeBytes([0x30, 0x03, 1, 2, 3]) } } }
        hs.writeBuffer(&cert)
        hs.writeBytes([14, 0, 0, 0])
        var p = ServerFlightParser(stopAt: .serverHelloDone)
        #expect(try p.feed(records(hs)))
        #expect(p.flight.serverHello?.cipherSuite == CipherSuite(0xC02F))
        #expect(p.flight.certificate?.certificates == [[0x30, 0x03, 1, 2, 3]])
        #expect(p.flight.serverHelloDone)
    }

    @Test func byteAtATimeServerFlight() throws {
        let bytes = records(serverHelloBytes(), ByteBuffer(bytes: [14, 0, 0, 0]))
        var p = ServerFlightParser(stopAt: .serverHelloDone)
        var done = false
        for b in bytes.readableBytesView {
            #expect(!done)
            done = try p.feed(ByteBuffer(bytes: [b]))
        }
        #expect(done)
        #expect(p.flight.serverHelloDone)
    }

    @Test func helloRetryRequestAndTLS13() throws {
        let hrr = serverHelloBytes(suite: 0x1301, random: ServerHello.helloRetryRequestRandom, extensions: [
            TLSExtension(type: .supportedVersions, data: [0x03, 0x04]),
            TLSExtension(type: .keyShare, data: [0x11, 0xEC]),
        ])
        var p = ServerFlightParser(stopAt: .serverHelloDone)
        #expect(try p.feed(records(hrr)))
        let sh = try #require(p.flight.serverHello)
        #expect(sh.isHelloRetryRequest)
        #expect(try sh.negotiatedVersion() == .tls13)
        #expect(try sh.extensions.helloRetryRequestGroup() == .x25519MLKEM768)
        #expect(NamedGroup.x25519MLKEM768.isPostQuantum)
    }

    @Test func groupsAllowedInTLS13() {
        // RFC 8446 §B.3.1.4: obsolete_RESERVED ranges.
        for obsolete: UInt16 in [0x0001, 0x0016, 0x001A, 0x001C, 0xFF01, 0xFF02] {
            #expect(!NamedGroup(obsolete).isAllowedInTLS13, "\(obsolete)")
        }
        for allowed in [NamedGroup.x25519, .secp256r1, .secp384r1, .ffdhe2048, .x25519MLKEM768, NamedGroup(0x001F)] {
            #expect(allowed.isAllowedInTLS13, "\(allowed.name)")
        }
    }

    @Test func downgradeSentinel() throws {
        var random = [UInt8](repeating: 1, count: 24)
        random += [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01]
        let sh = ServerHello(legacyVersion: .tls12, random: random, cipherSuite: CipherSuite(0xC02F))
        #expect(sh.downgradeSentinel == .tls12)
    }

    @Test func alertEndsFlight() throws {
        var p = ServerFlightParser(stopAt: .serverHello)
        #expect(try p.feed(records(ByteBuffer(bytes: [2, 70]), contentType: .alert)))
        #expect(p.flight.alert == Alert(level: .fatal, description: .protocolVersion))
    }

    @Test func warningAlertDoesNotEndFlight() throws {
        var p = ServerFlightParser(stopAt: .serverHello)
        #expect(try !p.feed(records(ByteBuffer(bytes: [1, 112]), contentType: .alert)))
        #expect(try p.feed(records(serverHelloBytes())))
        #expect(p.flight.warnings.count == 1)
    }

    @Test func httpAnswerIsNotTLS() {
        var p = ServerFlightParser(stopAt: .serverHello)
        do { try p.feed(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n\r\n")); Issue.record("accepted HTTP") } catch let e as TLSWireError {
            #expect(e.code == .notTLS)
        } catch { Issue.record("\(error)") }
    }

    @Test func sslv2ServerHello() throws {
        var body = ByteBuffer()
        body.writeBytes([4, 0, 1, 0x00, 0x02])
        body.writeInteger(UInt16(3)) // cert length
        body.writeInteger(UInt16(6)) // specs
        body.writeInteger(UInt16(16))
        body.writeBytes([0x30, 0x01, 0x00])
        body.writeBytes([0x01, 0x00, 0x80, 0x07, 0x00, 0xC0])
        body.writeBytes([UInt8](repeating: 9, count: 16))
        var rec = ByteBuffer()
        rec.writeInteger(UInt16(body.readableBytes) | 0x8000)
        rec.writeBuffer(&body)
        var p = ServerFlightParser(stopAt: .serverHello)
        #expect(try p.feed(rec))
        #expect(p.flight.sslv2ServerHello?.cipherSpecs == [0x010080, 0x0700C0])
    }

    @Test func serverKeyExchangeDHAndECDHE() throws {
        var dh = ByteBuffer()
        dh.writeTLSVector(.two) { $0.writeBytes([0x80] + [UInt8](repeating: 0xFF, count: 127)) } // 1024-bit prime
        dh.writeTLSVector(.two) { $0.writeBytes([2]) }
        dh.writeTLSVector(.two) { $0.writeBytes([5, 6]) }
        let ske = try ServerKeyExchange(parsingBody: dh, keyExchange: .dhe)
        #expect(ske.modulusBits == 1024)
        var ec = ByteBuffer(bytes: [3, 0, 29])
        ec.writeTLSVector(.one) { $0.writeBytes([UInt8](repeating: 4, count: 32)) }
        #expect(try ServerKeyExchange(parsingBody: ec, keyExchange: .ecdhe) == .ecdhe(group: .x25519, publicKey: [UInt8](repeating: 4, count: 32)))
    }

    /// `serverHelloOrDHParameters`: an ECDHE pick ends at the ServerHello; a DHE or DH_anon pick
    /// reads on to the ServerKeyExchange (its prime), not to ServerHelloDone.
    @Test func stopAtTheDHParametersOnlyForDHSuites() throws {
        var ecdhe = ServerFlightParser(stopAt: .serverHelloOrDHParameters)
        #expect(try ecdhe.feed(records(serverHelloBytes(suite: 0xC02F))))
        var ske = ByteBuffer()
        ske.writeInteger(HandshakeType.serverKeyExchange.rawValue)
        ske.writeTLSVector(.three) { b in
            b.writeTLSVector(.two) { $0.writeBytes([0xC0] + [UInt8](repeating: 0xFF, count: 127)) }
            b.writeTLSVector(.two) { $0.writeBytes([2]) }
            b.writeTLSVector(.two) { $0.writeBytes([5, 6]) }
        }
        for suite: UInt16 in [0x0033, 0x0034] { // DHE_RSA_WITH_AES_128_CBC_SHA, DH_anon_WITH_AES_128_CBC_SHA
            var p = ServerFlightParser(stopAt: .serverHelloOrDHParameters)
            #expect(try p.feed(records(serverHelloBytes(suite: suite))) == false, "waits for the key exchange")
            #expect(try p.feed(records(ske)))
            #expect(try p.flight.serverKeyExchange()?.modulusBits == 1024)
            #expect(!p.flight.serverHelloDone)
        }
        // Static DH_RSA keeps its prime in the certificate: nothing to wait for.
        var staticDH = ServerFlightParser(stopAt: .serverHelloOrDHParameters)
        #expect(try staticDH.feed(records(serverHelloBytes(suite: 0x0031))))
    }

    @Test func handshakeLengthCap() throws {
        var r = HandshakeReassembler(maxMessageLength: 1000)
        r.append(ByteBuffer(bytes: [11, 0x10, 0, 0]))
        #expect(throws: TLSWireError.self) { try r.nextMessage() }
    }
}

@Suite("Registries")
struct RegistryTests {
    @Test func cipherSuiteRegistryCoversIANAAndLegacy() {
        #expect(CipherSuiteInfo.all.count >= 340)
        #expect(Set(CipherSuiteInfo.all.map(\.code)).count == CipherSuiteInfo.all.count)
        let gcm = CipherSuite(0xC02F).info
        #expect(gcm?.ianaName == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        #expect(gcm?.opensslName == "ECDHE-RSA-AES128-GCM-SHA256")
        #expect(gcm?.forwardSecrecy == true)
        #expect(gcm?.isAEAD == true)
        #expect(CipherSuite(0x1301).info?.minVersion == .tls13)
        #expect(CipherSuiteInfo.named(openssl: "DES-CBC3-SHA")?.code == 0x000A)
    }

    @Test func openValuesRoundTrip() {
        #expect(CipherSuite(0x0A0A).isGREASE)
        #expect(CipherSuite(0xABCD).name == "0xABCD")
        #expect(ProtocolVersion(0x7F1C).name == "0x7F1C")
        #expect(NamedGroup(0x11EC).name == "X25519MLKEM768")
        #expect(SignatureScheme(0x0804).name == "rsa_pss_rsae_sha256")
        #expect(AlertDescription(70).name == "protocol_version")
        #expect(ProtocolVersion(parsing: "TLSv1.2") == .tls12)
        #expect(ProtocolVersion.sslv2 < .sslv3 && .sslv3 < .tls10 && .tls12 < .tls13)
    }
}
