import NIOCore
import TLSWire

/// Drives the internal `ClientHelloSnifferStateMachine` for the libFuzzer target in `FuzzTesting/`
/// (another package, which cannot see it). No API promise (the `_` prefix).
public enum _ClientHelloSnifferFuzzing {
    /// Feeds `bytes` in pieces of `chunkSize` bytes, then ends with a timeout (`closeInstead`:
    /// the client closing), and checks the sniffer's promises with `precondition`:
    /// a hello comes with every byte received so far, unchanged; after a decision every event is
    /// ignored; feeding everything at once decides a hello exactly when the pieces do, and the same one.
    public static func run(_ bytes: [UInt8], chunkSize: Int, maxFlightBytes: Int, closeInstead: Bool) {
        var chunked = ClientHelloSnifferStateMachine(maxFlightBytes: maxFlightBytes)
        var fed = ByteBuffer()
        var chunkedHello: ClientHelloFlight?
        var decided = false
        var rest = bytes[...]
        let step = max(1, chunkSize)
        while !rest.isEmpty {
            let piece = ByteBuffer(bytes: rest.prefix(step))
            rest = rest.dropFirst(step)
            fed.writeImmutableBuffer(piece)
            let action = chunked.received(piece)
            switch action {
            case .wait:
                precondition(!decided, "waiting after a decision")
            case .hello(let flight, let buffered):
                precondition(!decided, "a second decision")
                precondition(buffered == fed, "the replay differs from what arrived")
                precondition(flight.wireLength <= buffered.readableBytes, "the hello is longer than what arrived")
                chunkedHello = flight
                decided = true
            case .fail:
                precondition(!decided, "a second decision")
                decided = true
            case .ignore:
                precondition(decided, "ignored before a decision")
            }
        }
        let end = closeInstead ? chunked.inputClosed() : chunked.timedOut()
        switch end {
        case .ignore: precondition(decided, "an end event ignored before a decision")
        case .fail: precondition(!decided, "a second decision at the end")
        case .wait, .hello: preconditionFailure("an end event that is not a failure")
        }
        guard !bytes.isEmpty else { return }
        var whole = ClientHelloSnifferStateMachine(maxFlightBytes: maxFlightBytes)
        let wholeHello: ClientHelloFlight?
        if case .hello(let flight, _) = whole.received(ByteBuffer(bytes: bytes)) { wholeHello = flight } else { wholeHello = nil }
        precondition(wholeHello == chunkedHello, "all at once and in pieces decide differently")
    }
}
