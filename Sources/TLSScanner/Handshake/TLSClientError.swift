import TLSReport
import TLSWire

/// Why a handshake of our TLS 1.2 or TLS 1.3 client did not complete: a code and, in words, what
/// the server did.
struct TLSClientError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: String, Sendable, Hashable {
        /// The server's bytes are not well-formed TLS (lengths, message bodies).
        case malformed
        /// A message or record the handshake does not allow at that point.
        case unexpectedMessage
        /// Parameters we did not offer or cannot use (version, suite, curve, compression).
        case unsupportedParameters
        /// The server sent a fatal alert (or close_notify) during the handshake.
        case alert
        /// A protected record did not decrypt: the keys are wrong or the record was tampered with.
        case badRecordMAC
        /// The server's Finished did not match ours: the keys are wrong.
        case finishedMismatch
        /// The connection closed before the handshake completed.
        case closed
        /// No answer within the read deadline.
        case timedOut
        /// TCP connect failed, or the socket broke.
        case connection
        /// The caller's task was cancelled; the connection was closed.
        case cancelled
    }

    var code: Code
    var detail: String
    /// The alert, when `code` is `.alert`.
    var alert: Alert?

    init(_ code: Code, _ detail: String, alert: Alert? = nil) {
        self.code = code
        self.detail = detail
        self.alert = alert
    }

    var description: String { detail }
}
