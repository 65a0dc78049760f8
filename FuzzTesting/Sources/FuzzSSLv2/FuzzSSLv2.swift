import FuzzSupport
import NIOCore
import TLSWire

// SSL 2.0-format hellos (RFC 6101 §E.2, RFC 5246 §E.2): the input is taken as a record body and
// parsed as a CLIENT-HELLO body and a SERVER-HELLO body directly, and, behind a 2-byte SSL 2.0
// header, through ClientHelloReader and ServerFlightParser as they arrive off the wire.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSLv2(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let chunk = input.chunkSize()
    let body = Array(input.rest.prefix(0x7FFF))

    if let hello = try? ClientHello(parsingSSLv2Body: ByteBuffer(bytes: body.dropFirst(1))) {
        _ = ClientFingerprint(hello)
        _ = try? hello.offeredVersions()
        var reader = ClientHelloReader()
        reader.feed(hello.sslv2Record())
        precondition((try? reader.read())?.hello == hello, "an SSL 2.0 ClientHello does not survive a round trip")
    }
    if let hello = try? SSLv2ServerHello(parsingRecordBody: ByteBuffer(bytes: body)) {
        _ = hello.cipherSpecs.compactMap(SSLv2CipherSpec.named)
    }

    // RFC 6101 §E.2: two-byte header, high bit set, 15-bit length.
    var record = ByteBuffer()
    record.writeInteger(UInt16(body.count) | 0x8000)
    record.writeBytes(body)
    let wire = Array(record.readableBytesView)

    var reader = ClientHelloReader()
    var readerDone = false
    for c in chunks(wire, size: chunk) where !readerDone {
        reader.feed(bytes: c)
        do {
            if let flight = try reader.read() {
                precondition(flight.hello.isSSLv2Format && flight.wireLength == wire.count, "an SSL 2.0 record read as something else")
                readerDone = true
            }
        } catch { readerDone = true }
    }
    var parser = ServerFlightParser(stopAt: .serverHelloDone)
    for c in chunks(wire, size: chunk) {
        guard let complete = try? parser.feed(ByteBuffer(bytes: c)), !complete else { break }
    }
    return 0
}
