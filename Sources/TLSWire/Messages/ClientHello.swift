import NIOCore

/// A ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2), or an SSL 2.0-format one
/// (RFC 6101 §E.2 / RFC 5246 §E.2) mapped onto the same fields.
public struct ClientHello: Hashable, Sendable {
    /// legacy_version: the highest version for TLS ≤1.2 clients; 0x0303 for TLS 1.3 clients.
    public var legacyVersion: ProtocolVersion
    /// 32 bytes; for an SSL 2.0-format hello, the challenge (16–32 bytes).
    public var random: [UInt8]
    public var sessionID: [UInt8]
    public var cipherSuites: [CipherSuite]
    public var compressionMethods: [UInt8]
    public var extensions: [TLSExtension]
    /// SSL 2.0 cipher specs (3 bytes each, RFC 6101 §E) other than the `00 XX YY` TLS ones,
    /// for an SSL 2.0-format hello.
    public var sslv2CipherSpecs: [UInt32]
    /// The hello arrived in the SSL 2.0 record format.
    public var isSSLv2Format: Bool

    public init(
        legacyVersion: ProtocolVersion, random: [UInt8], sessionID: [UInt8] = [], cipherSuites: [CipherSuite],
        compressionMethods: [UInt8] = [0], extensions: [TLSExtension] = [], sslv2CipherSpecs: [UInt32] = [],
        isSSLv2Format: Bool = false
    ) {
        self.legacyVersion = legacyVersion
        self.random = random
        self.sessionID = sessionID
        self.cipherSuites = cipherSuites
        self.compressionMethods = compressionMethods
        self.extensions = extensions
        self.sslv2CipherSpecs = sslv2CipherSpecs
        self.isSSLv2Format = isSSLv2Format
    }

    // MARK: Parsing

    /// Parses a ClientHello handshake body (the message without its 4-byte header).
    /// The body must be consumed exactly.
    public init(parsingBody body: ByteBuffer) throws {
        var buf = body
        let f = "ClientHello"
        legacyVersion = ProtocolVersion(try buf.readStrict(UInt16.self, field: "\(f).legacy_version"))
        random = try buf.readBytesStrict(32, field: "\(f).random")
        sessionID = Array(try buf.readTLSVectorStrict(.one, field: "\(f).legacy_session_id", max: 32).readableBytesView)
        let suites = try buf.readUInt16List(.two, field: "\(f).cipher_suites", min: 2)
        cipherSuites = suites.map { CipherSuite($0) }
        compressionMethods = Array(try buf.readTLSVectorStrict(.one, field: "\(f).legacy_compression_methods", min: 1).readableBytesView)
        // RFC 5246 §7.4.1.2: a TLS 1.2-and-earlier hello may end here, with no extensions block.
        extensions = buf.readableBytes == 0 ? [] : try ExtensionCodec.read(&buf, field: f)
        try buf.expectFullyConsumed(field: f)
        sslv2CipherSpecs = []
        isSSLv2Format = false
    }

    /// Parses the body of an SSL 2.0-format CLIENT-HELLO (after the 2-byte record header and the
    /// msg_type byte): version, three lengths, cipher specs, session id, challenge.
    public init(parsingSSLv2Body body: ByteBuffer) throws {
        var buf = body
        let f = "SSLv2ClientHello"
        legacyVersion = ProtocolVersion(try buf.readStrict(UInt16.self, field: "\(f).version"))
        let specsLength = Int(try buf.readStrict(UInt16.self, field: "\(f).cipher_spec_length"))
        let sessionLength = Int(try buf.readStrict(UInt16.self, field: "\(f).session_id_length"))
        let challengeLength = Int(try buf.readStrict(UInt16.self, field: "\(f).challenge_length"))
        guard specsLength > 0, specsLength % 3 == 0 else {
            throw TLSWireError(.invalidLength, field: "\(f).cipher_spec_length", detail: "\(specsLength) is not a positive multiple of 3")
        }
        // RFC 6101 §E.1 / SSL 2.0: session id 0 or 16 bytes; challenge 16 to 32 bytes.
        guard sessionLength == 0 || sessionLength == 16 else {
            throw TLSWireError(.invalidLength, field: "\(f).session_id_length", detail: "\(sessionLength)")
        }
        guard (16...32).contains(challengeLength) else {
            throw TLSWireError(.invalidLength, field: "\(f).challenge_length", detail: "\(challengeLength)")
        }
        var suites: [CipherSuite] = []
        var v2: [UInt32] = []
        for _ in 0..<(specsLength / 3) {
            let b = try buf.readBytesStrict(3, field: "\(f).cipher_specs")
            if b[0] == 0 { suites.append(CipherSuite(UInt16(b[1]) << 8 | UInt16(b[2]))) } else {
                v2.append(UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2]))
            }
        }
        cipherSuites = suites
        sslv2CipherSpecs = v2
        sessionID = try buf.readBytesStrict(sessionLength, field: "\(f).session_id")
        random = try buf.readBytesStrict(challengeLength, field: "\(f).challenge")
        try buf.expectFullyConsumed(field: f)
        compressionMethods = [0]
        extensions = []
        isSSLv2Format = true
    }

    // MARK: Derived views

    /// The versions offered: supported_versions when present (RFC 8446 §4.2.1), else every known
    /// version from SSL 3.0 up to legacy_version. GREASE removed.
    public func offeredVersions() throws -> [ProtocolVersion] {
        if let list = try extensions.clientSupportedVersions() {
            return list.filter { !$0.isGREASE }
        }
        if isSSLv2Format, legacyVersion == .sslv2 { return [.sslv2] }
        let ladder: [ProtocolVersion] = [.sslv3, .tls10, .tls11, .tls12]
        let upTo = ladder.filter { $0 <= legacyVersion }
        return upTo.isEmpty ? [legacyVersion] : upTo.reversed()
    }

    /// The highest version offered.
    public func maxOfferedVersion() throws -> ProtocolVersion {
        try offeredVersions().filter(\.isKnown).max() ?? legacyVersion
    }

    /// `maxOfferedVersion()`, or legacy_version when supported_versions cannot be read: what a
    /// server deciding on this hello goes by.
    public var bestOfferedVersion: ProtocolVersion { (try? maxOfferedVersion()) ?? legacyVersion }

    public var serverName: String? { (try? extensions.serverName()).flatMap { $0 } }

    // MARK: Serialising

    /// The handshake message: header and body (RFC 8446 §4).
    public func writeHandshake(to buf: inout ByteBuffer) {
        precondition(!isSSLv2Format, "use writeSSLv2Record for SSL 2.0-format hellos")
        buf.writeInteger(HandshakeType.clientHello.rawValue)
        buf.writeTLSVector(.three) { b in
            b.writeInteger(legacyVersion.rawValue)
            b.writeBytes(random)
            b.writeTLSVector(.one) { $0.writeBytes(sessionID) }
            b.writeUInt16List(.two, cipherSuites.map(\.rawValue))
            b.writeTLSVector(.one) { $0.writeBytes(compressionMethods) }
            if !extensions.isEmpty || legacyVersion >= .tls12 { ExtensionCodec.write(extensions, to: &b) }
        }
    }

    public var handshakeBytes: ByteBuffer {
        var b = ByteBuffer()
        writeHandshake(to: &b)
        return b
    }

    /// The hello as TLS records (split into `maxFragment`-byte fragments when asked, to test
    /// servers' reassembly).
    public func records(recordVersion: ProtocolVersion = .tls10, maxFragment: Int = 16384) -> ByteBuffer {
        var hs = handshakeBytes
        var out = ByteBuffer()
        while hs.readableBytes > 0 {
            let fragment = hs.readSlice(length: min(maxFragment, hs.readableBytes))!
            TLSRecord(contentType: .handshake, version: recordVersion, fragment: fragment).write(to: &out)
        }
        return out
    }

    /// The hello in the SSL 2.0 record format (2-byte header, msg_type 1): what SSL 2.0 clients and
    /// old "SSLv2Hello" compatible clients send. TLS suites are written as `00 XX YY` specs.
    public func sslv2Record() -> ByteBuffer {
        var body = ByteBuffer()
        body.writeInteger(UInt8(1)) // CLIENT-HELLO
        body.writeInteger(legacyVersion.rawValue)
        let specs: [[UInt8]] = sslv2CipherSpecs.map { [UInt8($0 >> 16), UInt8(($0 >> 8) & 0xFF), UInt8($0 & 0xFF)] }
            + cipherSuites.map { [0, UInt8($0.rawValue >> 8), UInt8($0.rawValue & 0xFF)] }
        body.writeInteger(UInt16(specs.count * 3))
        body.writeInteger(UInt16(sessionID.count))
        body.writeInteger(UInt16(random.count))
        for s in specs { body.writeBytes(s) }
        body.writeBytes(sessionID)
        body.writeBytes(random)
        precondition(body.readableBytes <= 0x7FFF, "SSL 2.0 record too long")
        var out = ByteBuffer()
        out.writeInteger(UInt16(body.readableBytes) | 0x8000)
        out.writeBuffer(&body)
        return out
    }
}

/// What the first flight of a client connection held: the ClientHello and how it was framed.
public struct ClientHelloFlight: Hashable, Sendable {
    public var hello: ClientHello
    /// The record-layer version of the first record (SSL 2.0 format: 0x0002).
    public var recordVersion: ProtocolVersion
    /// How many records carried the hello.
    public var recordCount: Int
    /// The exact bytes the hello occupied on the wire (records or SSL 2.0 record).
    public var wireLength: Int

    public init(hello: ClientHello, recordVersion: ProtocolVersion, recordCount: Int, wireLength: Int) {
        self.hello = hello
        self.recordVersion = recordVersion
        self.recordCount = recordCount
        self.wireLength = wireLength
    }
}

/// Reads a client's first flight, fed in any chunking, up to the ClientHello.
///
/// Used by the gateway's sniffer and by tests that feed byte at a time. `read()` returns nil
/// until the whole hello has arrived; it throws on anything that cannot be a ClientHello.
public struct ClientHelloReader: Sendable {
    public private(set) var buffer = ByteBuffer()
    /// Cap on the whole first flight; beyond it the hello is refused as too long.
    public let maxFlightBytes: Int
    private var reassembler: HandshakeReassembler
    private var consumed = 0
    private var records = 0
    private var recordVersion: ProtocolVersion?

    public init(maxFlightBytes: Int = 16 * 1024) {
        self.maxFlightBytes = maxFlightBytes
        self.reassembler = HandshakeReassembler(maxMessageLength: maxFlightBytes)
    }

    public mutating func feed(_ bytes: ByteBuffer) {
        var b = bytes
        buffer.writeBuffer(&b)
    }

    public mutating func feed<S: Sequence>(bytes: S) where S.Element == UInt8 {
        buffer.writeBytes(bytes)
    }

    public mutating func read() throws -> ClientHelloFlight? {
        // SSL 2.0 format: 2-byte header with the high bit set, then msg_type 1 (RFC 5246 §E.2).
        if records == 0, consumed == 0, let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), first & 0x80 != 0 {
            guard buffer.readableBytes >= 3 else { return nil }
            let length = Int(buffer.getInteger(at: buffer.readerIndex, as: UInt16.self)! & 0x7FFF)
            let msgType = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt8.self)!
            guard msgType == 1, length >= 9 else {
                throw TLSWireError(.notTLS, field: "SSLv2 record", offset: 0, detail: "msg_type \(msgType), length \(length)",
                                   bytes: buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 64)) ?? [])
            }
            guard buffer.readableBytes >= 2 + length else { return nil }
            var record = buffer.getSlice(at: buffer.readerIndex + 3, length: length - 1)!
            let hello = try ClientHello(parsingSSLv2Body: record)
            record.moveReaderIndex(forwardBy: record.readableBytes)
            return ClientHelloFlight(hello: hello, recordVersion: .sslv2, recordCount: 1, wireLength: 2 + length)
        }
        var view = buffer
        view.moveReaderIndex(forwardBy: consumed)
        while true {
            let before = view.readerIndex
            guard let record = try view.readTLSRecord() else {
                if consumed + view.readableBytes > maxFlightBytes {
                    throw TLSWireError(.tooLong, field: "ClientHello", detail: "first flight exceeds \(maxFlightBytes) bytes")
                }
                return nil
            }
            guard record.contentType == .handshake else {
                throw TLSWireError(.invalidValue, field: "record.content_type", offset: consumed,
                                   detail: "expected handshake before the ClientHello, got \(record.contentType)")
            }
            guard record.fragment.readableBytes > 0 else {
                // RFC 8446 §5.1: zero-length handshake fragments MUST NOT be sent.
                throw TLSWireError(.invalidLength, field: "record.length", offset: consumed, detail: "empty handshake record")
            }
            consumed += view.readerIndex - before
            records += 1
            if recordVersion == nil { recordVersion = record.version }
            if consumed > maxFlightBytes {
                throw TLSWireError(.tooLong, field: "ClientHello", detail: "first flight exceeds \(maxFlightBytes) bytes")
            }
            reassembler.append(record.fragment)
            if let message = try reassembler.nextMessage() {
                guard message.type == .clientHello else {
                    throw TLSWireError(.invalidValue, field: "handshake.msg_type", detail: "expected client_hello, got \(message.type)")
                }
                let hello = try ClientHello(parsingBody: message.body)
                return ClientHelloFlight(hello: hello, recordVersion: recordVersion ?? .tls10, recordCount: records, wireLength: consumed)
            }
        }
    }
}
