import FuzzSupport
import TLSGateway

// The gateway's ClientHello sniffer state machine, fed the input as a client's first flight in
// pieces; it checks its own promises (replay unchanged, one decision, pieces and all at once agree).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientHelloSniffer(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let options = input.byte()
    let chunk = input.chunkSize()
    // A small cap too, so the oversized path is reachable with short inputs.
    let cap = options & 1 == 0 ? 16 * 1024 : 512
    _ClientHelloSnifferFuzzing.run(input.rest, chunkSize: chunk, maxFlightBytes: cap, closeInstead: options & 2 != 0)
    return 0
}
