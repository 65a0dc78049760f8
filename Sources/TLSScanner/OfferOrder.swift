import TLSWire

extension CipherSuite {
    /// Where our hellos put a suite when the server may pick by the client's order: first what a
    /// current client offers first (an AEAD cipher with forward secrecy), then the rest, in a stable
    /// sort. A client's preference, not a verdict on the server (that is TLSPolicy's SuiteStrength).
    var offerRank: Int {
        guard let i = info else { return 1 }
        return i.isAEAD && i.forwardSecrecy && i.authentication != .anonymous ? 0 : 1
    }
}
