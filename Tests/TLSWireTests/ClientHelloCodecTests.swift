import NIOCore
import Testing
@testable import TLSWire

@Suite("ClientHello codec")
struct ClientHelloCodecTests {
    /// Parse → serialise gives back the exact handshake bytes, for every captured hello.
    @Test(arguments: Vector.all)
    func roundTrip(_ v: Vector) throws {
        let flight = try v.flight()
        var original = ByteBuffer(bytes: v.bytes)
        var handshake = ByteBuffer()
        while let record = try original.readTLSRecord() {
            var f = record.fragment
            handshake.writeBuffer(&f)
        }
        let rewritten = flight.hello.handshakeBytes
        #expect(Array(rewritten.readableBytesView) == Array(handshake.readableBytesView.prefix(rewritten.readableBytes)))
        // Parsing the rewritten bytes gives the same hello.
        var reader = ClientHelloReader()
        reader.feed(flight.hello.records())
        #expect(try reader.read()?.hello == flight.hello)
    }

    /// Every strict prefix of a valid flight is "need more bytes", never an error.
    @Test(arguments: Vector.all.prefix(12))
    func everyPrefixNeedsMore(_ v: Vector) throws {
        let bytes = v.bytes
        let wire = try v.flight().wireLength
        for n in 0..<wire {
            var reader = ClientHelloReader()
            reader.feed(bytes: bytes[0..<n])
            #expect(try reader.read() == nil, "prefix of \(n) bytes")
        }
    }

    /// Feeding byte at a time gives the same result as all at once.
    @Test(arguments: Vector.all.prefix(20))
    func byteAtATime(_ v: Vector) throws {
        let all = try v.flight()
        var reader = ClientHelloReader()
        var result: ClientHelloFlight?
        for b in v.bytes {
            reader.feed(bytes: [b])
            if let r = try reader.read() { result = r; break }
        }
        #expect(result == all)
    }

    @Test func helloSplitAcrossRecords() throws {
        let hello = ClientHelloBuilder(version: .tls13, cipherSuites: [CipherSuite(0x1301)], serverName: "example.com").build()
        var reader = ClientHelloReader()
        reader.feed(hello.records(maxFragment: 7))
        let flight = try #require(try reader.read())
        #expect(flight.hello == hello)
        #expect(flight.recordCount > 10)
        #expect(flight.hello.serverName == "example.com")
    }

    @Test func sslv2FormatHello() throws {
        var hello = ClientHelloBuilder.sslv2Hello()
        hello.cipherSuites = [CipherSuite(0x002F)]
        var reader = ClientHelloReader()
        reader.feed(hello.sslv2Record())
        let flight = try #require(try reader.read())
        #expect(flight.hello.isSSLv2Format)
        #expect(flight.recordVersion == .sslv2)
        #expect(flight.hello.cipherSuites == [CipherSuite(0x002F)])
        #expect(flight.hello.sslv2CipherSpecs == SSLv2CipherSpec.all.map(\.code))
        #expect(try flight.hello.maxOfferedVersion() == .sslv2)
        #expect(ClientFingerprint(flight.hello).ja4.hasPrefix("ts2i"))
    }

    @Test func builderOffersWhatItWasAsked() throws {
        var b = ClientHelloBuilder(version: .tls13, cipherSuites: [CipherSuite(0x1301), CipherSuite(0xC02F)], serverName: "h.example")
        b.alsoOfferVersions = [.tls12]
        b.alpn = ["h2", "http/1.1"]
        let hello = b.build()
        #expect(hello.legacyVersion == .tls12)
        #expect(try hello.offeredVersions() == [.tls13, .tls12])
        #expect(try hello.extensions.alpnProtocols()?.map { String(decoding: $0, as: UTF8.self) } == ["h2", "http/1.1"])
        let shares = try #require(try hello.extensions.clientKeyShares())
        #expect(shares.map(\.group) == [.x25519, .secp256r1])
        #expect(shares[0].keyExchange.count == 32)
        #expect(shares[1].keyExchange.count == 65)
        let length = hello.handshakeBytes.readableBytes
        #expect(!(256..<512).contains(length), "F5 padding: \(length)")
    }

    @Test func sslv3HelloHasNoExtensionsButSCSV() {
        let hello = ClientHelloBuilder(version: .sslv3, cipherSuites: [CipherSuite(0x000A)]).build()
        #expect(hello.extensions.isEmpty)
        #expect(hello.cipherSuites.contains(.emptyRenegotiationInfoSCSV))
        #expect(hello.legacyVersion == .sslv3)
    }

    // MARK: Malformed input: typed errors, never a crash or a hang

    @Test func notTLSIsNamedAfterOneByte() {
        var reader = ClientHelloReader()
        reader.feed(bytes: Array("GET / HTTP/1.1\r\n".utf8))
        #expect(throws: TLSWireError.self) { try reader.read() }
        do { _ = try reader.read() } catch let e as TLSWireError { #expect(e.code == .notTLS) } catch { Issue.record("\(error)") }
    }

    @Test func lengthOverrunInsideHello() throws {
        // A ClientHello whose cipher_suites length points past the message.
        var body = ByteBuffer()
        body.writeInteger(UInt16(0x0303))
        body.writeBytes([UInt8](repeating: 1, count: 32))
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt16(200)) // claims 200 bytes of suites
        body.writeBytes([0x13, 0x01])
        #expect(throws: TLSWireError.self) { try ClientHello(parsingBody: body) }
        do { _ = try ClientHello(parsingBody: body) } catch let e as TLSWireError {
            #expect(e.code == .lengthOverrun)
            #expect(e.field.contains("cipher_suites"))
        }
    }

    @Test func trailingBytesInExtension() throws {
        var hello = ClientHelloBuilder(version: .tls12, cipherSuites: [CipherSuite(0xC02F)]).build()
        hello.extensions.removeAll { $0.type == .supportedGroups }
        hello.extensions.append(TLSExtension(type: .supportedGroups, data: [0, 2, 0, 29, 0xFF]))
        #expect(throws: TLSWireError.self) { try hello.extensions.supportedGroups() }
    }

    @Test func oddCipherListLength() throws {
        var body = ByteBuffer()
        body.writeInteger(UInt16(0x0303))
        body.writeBytes([UInt8](repeating: 1, count: 32))
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt16(3))
        body.writeBytes([0x13, 0x01, 0x13])
        body.writeBytes([1, 0])
        do { _ = try ClientHello(parsingBody: body); Issue.record("accepted an odd cipher list") } catch let e as TLSWireError {
            #expect(e.code == .invalidLength)
        }
    }

    @Test func duplicateExtensionIsRejected() throws {
        var hello = ClientHelloBuilder(version: .tls12, cipherSuites: [CipherSuite(0xC02F)]).build()
        hello.extensions += [TLSExtension(type: ExtensionType(0x1234), data: []), TLSExtension(type: ExtensionType(0x1234), data: [])]
        var reader = ClientHelloReader()
        reader.feed(hello.records())
        do { _ = try reader.read(); Issue.record("accepted a duplicate extension") } catch let e as TLSWireError {
            #expect(e.code == .duplicateExtension)
        }
    }

    @Test func oversizedFlightIsRefused() throws {
        var reader = ClientHelloReader(maxFlightBytes: 1024)
        // A handshake header claiming a 60 KB hello, spread over records.
        var b = ByteBuffer()
        for i in 0..<5 {
            var frag = ByteBuffer()
            if i == 0 { frag.writeBytes([1, 0, 0xEA, 0x60]) }
            frag.writeBytes([UInt8](repeating: 0, count: 300))
            TLSRecord(contentType: .handshake, version: .tls10, fragment: frag).write(to: &b)
        }
        reader.feed(b)
        #expect(throws: TLSWireError.self) { try reader.read() }
    }

    @Test func recordTooLong() {
        var b = ByteBuffer(bytes: [22, 3, 1, 0xFF, 0xFF])
        #expect(throws: TLSWireError.self) { try b.readTLSRecord() }
    }

    @Test func unknownExtensionsAndGREASEKeptInOrder() throws {
        let v = try #require(Vector.all.first { $0.record_hex.contains("0a0a") || $0.ja4_r.contains("t13") })
        let hello = try v.flight().hello
        var reader = ClientHelloReader()
        reader.feed(hello.records())
        #expect(try reader.read()?.hello.extensions.types == hello.extensions.types)
    }
}
