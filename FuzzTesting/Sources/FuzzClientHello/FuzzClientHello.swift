import FuzzSupport
import NIOCore
import TLSWire

// ClientHello parsing (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) through ClientHelloReader, as the
// gateway reads a first flight, and the fingerprints of whatever parsed. Checked: in pieces and all
// at once give the same hello; a parsed hello re-serialises and parses to itself; every derived
// view (versions, SNI, extension accessors, JA3/JA4) is computed without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientHello(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let chunk = input.chunkSize()
    let bytes = input.rest

    var whole = ClientHelloReader()
    whole.feed(bytes: bytes)
    let wholeResult = Result { try whole.read() }

    var pieces = ClientHelloReader()
    var piecesFlight: ClientHelloFlight?
    var piecesFailed = false
    for c in chunks(bytes, size: chunk) {
        pieces.feed(bytes: c)
        do {
            if let f = try pieces.read() { piecesFlight = f; break }
        } catch { piecesFailed = true; break }
    }
    switch wholeResult {
    case .success(let f?):
        precondition(piecesFlight == f, "pieces and all at once give different hellos")
    case .success(nil):
        precondition(piecesFlight == nil && !piecesFailed, "pieces decided, all at once waits")
    case .failure:
        precondition(piecesFlight == nil, "pieces parsed what all at once refuses")
    }

    // The body parser on its own, as the fingerprint tests and the client check use it.
    if let hello = try? ClientHello(parsingBody: ByteBuffer(bytes: bytes)) { exercise(hello) }
    if let flight = piecesFlight { exercise(flight.hello) }
    return 0
}

private func exercise(_ hello: ClientHello) {
    _ = try? hello.offeredVersions()
    _ = try? hello.maxOfferedVersion()
    _ = hello.bestOfferedVersion
    _ = hello.serverName
    let e = hello.extensions
    _ = try? e.supportedGroups()
    _ = try? e.ecPointFormats()
    _ = try? e.signatureAlgorithms()
    _ = try? e.alpnProtocols()
    _ = try? e.clientSupportedVersions()
    _ = try? e.clientKeyShares()
    _ = try? e.renegotiationInfo()
    _ = try? e.pskKeyExchangeModes()
    _ = try? e.hasExtendedMasterSecret()
    _ = try? e.sessionTicket()
    let fp = ClientFingerprint(hello)
    precondition(fp.ja4.count == ClientFingerprint.ja4ReferenceALPN(hello).count, "JA4 variants of different lengths")
    _ = ClientFingerprint(hello, transport: "q")
    if hello.isSSLv2Format {
        var record = hello.sslv2Record()
        var reader = ClientHelloReader()
        reader.feed(record)
        let again = try? reader.read()
        precondition(again?.hello == hello, "an SSL 2.0 hello does not survive a round trip")
        record.clear()
    } else {
        var hs = hello.handshakeBytes
        _ = hs.readInteger(as: UInt8.self)
        let body = hs.readSlice(length: Int(hs.readInteger(as: UInt8.self)!) << 16 | Int(hs.readInteger(as: UInt16.self)!))!
        let again = try? ClientHello(parsingBody: body)
        precondition(again == hello, "a ClientHello does not survive a round trip")
    }
}
