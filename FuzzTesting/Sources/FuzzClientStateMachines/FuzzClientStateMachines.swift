import FuzzSupport
import TLSScanner

// Our TLS 1.2 and TLS 1.3 clients (the scanner's own handshakes) after they sent their
// ClientHello, fed the input as the server's bytes in pieces, then a timeout and a close. The first
// byte picks the client and its options, the second the piece size. Beyond the ServerHello and the
// TLS 1.2 server flight everything is keyed from the client's fresh secrets, so the fuzzer
// exercises the clear-text part of both handshakes and the point where decryption fails.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientStateMachines(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let clients = _HandshakeFuzzing.Client.allCases
    let client = clients[Int(input.byte()) % clients.count]
    let chunk = input.chunkSize()
    _HandshakeFuzzing.run(client, serverBytes: input.rest, chunkSize: chunk)
    return 0
}
