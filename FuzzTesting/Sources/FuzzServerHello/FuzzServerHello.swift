import FuzzSupport
import NIOCore
import TLSWire

// ServerHello and HelloRetryRequest bodies (RFC 8446 §4.1.3, §4.1.4; RFC 5246 §7.4.1.3) with every
// extension accessor a probe reads, and the other TLS 1.3 server messages whose bodies the codec
// parses (EncryptedExtensions, NewSessionTicket, CertificateRequest; RFC 8446 §4.3, §4.6.1).
// A parsed ServerHello must re-serialise and parse to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerHello(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let body = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    if let hello = try? ServerHello(parsingBody: body) {
        _ = try? hello.negotiatedVersion()
        _ = hello.isHelloRetryRequest
        _ = hello.downgradeSentinel
        _ = hello.cipherSuite.info
        _ = hello.cipherSuite.name
        let e = hello.extensions
        _ = try? e.serverSelectedVersion()
        _ = try? e.helloRetryRequestGroup()
        _ = try? e.serverKeyShare()
        _ = try? e.alpnProtocols()
        _ = try? e.renegotiationInfo()
        _ = try? e.hasExtendedMasterSecret()
        _ = try? e.sessionTicket()
        _ = try? e.ecPointFormats()
        _ = try? e.serverName()
        _ = try? e.serverSelectedIdentity()
        var out = ByteBuffer()
        hello.writeHandshake(to: &out)
        out.moveReaderIndex(forwardBy: 4)
        let again = try? ServerHello(parsingBody: out)
        precondition(again == hello, "a ServerHello does not survive a round trip")
    }
    if let ee = try? EncryptedExtensions(parsingBody: body) {
        _ = try? ee.extensions.alpnProtocols()
        _ = try? ee.extensions.serverName()
        _ = try? ee.extensions.hasEmptyEarlyData()
    }
    if let ticket = try? NewSessionTicket13(parsingBody: body) { _ = try? ticket.maxEarlyDataSize() }
    if let request = try? CertificateRequest13(parsingBody: body) {
        _ = try? request.extensions.signatureAlgorithms()
    }
    return 0
}
