/// Whether a brownout refusal is a TLS alert or (the handshake completed) the explain answer.
public enum BrownoutResponse: String, Sendable, Hashable {
    case alert, explain
}
