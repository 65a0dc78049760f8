import FuzzSupport
import NIOCore
import TLSWire

// The server's first flight as a probe reads it: ServerFlightParser fed in pieces, then the
// Certificate and ServerKeyExchange (RFC 5246 §7.4.2, §7.4.3; RFC 8422 §5.4) parsed from what it
// kept. Checked: in pieces and all at once reach the same flight, or both fail.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerFlight(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let chunk = input.chunkSize()
    let stopAt: ServerFlightParser.StopPoint = input.byte() & 1 == 0 ? .serverHelloDone : .serverHello
    let bytes = input.rest

    var whole = ServerFlightParser(stopAt: stopAt)
    let wholeResult = Result { try whole.feed(ByteBuffer(bytes: bytes)) }
    var pieces = ServerFlightParser(stopAt: stopAt)
    var piecesFailed = false
    for c in chunks(bytes, size: chunk) {
        do {
            if try pieces.feed(ByteBuffer(bytes: c)) { break }
        } catch { piecesFailed = true; break }
    }
    switch wholeResult {
    case .success:
        precondition(!piecesFailed, "pieces fail where all at once does not")
        precondition(pieces.isComplete == whole.isComplete, "pieces and all at once stop at different points")
        let a = whole.flight, b = pieces.flight
        precondition(a.serverHello == b.serverHello && a.certificate == b.certificate && a.serverKeyExchangeBody == b.serverKeyExchangeBody
                     && a.alert == b.alert && a.warnings == b.warnings && a.serverHelloDone == b.serverHelloDone
                     && a.sslv2ServerHello == b.sslv2ServerHello && a.sslv2Error == b.sslv2Error
                     && a.ocspResponse == b.ocspResponse && a.sawEncryptedRecords == b.sawEncryptedRecords,
                     "pieces and all at once give different flights")
    case .failure:
        precondition(piecesFailed, "all at once fails where pieces do not")
    }
    exercise(whole.flight)
    exercise(pieces.flight)

    // The message parsers on the raw bytes too, so the fuzzer reaches them without framing.
    let body = ByteBuffer(bytes: bytes)
    _ = try? CertificateMessage(parsingBody: body, tls13: false)
    _ = try? CertificateMessage(parsingBody: body, tls13: true)
    for kx in [KeyExchange.dhe, .dhePSK, .ecdhe, .ecdhePSK, .rsaExport, .psk] {
        _ = (try? ServerKeyExchange(parsingBody: body, keyExchange: kx))?.modulusBits
    }
    return 0
}

private func exercise(_ flight: ServerFlight) {
    _ = (try? flight.serverKeyExchange())??.modulusBits
    _ = try? flight.serverHello?.negotiatedVersion()
    _ = flight.serverHello?.downgradeSentinel
}
