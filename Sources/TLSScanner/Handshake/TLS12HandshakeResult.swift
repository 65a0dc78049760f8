import Crypto
import NIOCore
import TLSReport
import TLSWire

/// A TLS 1.2 session we can offer again: what an abbreviated handshake needs.
struct TLS12Session: Sendable, Hashable {
    var suite: CipherSuite
    var masterSecret: [UInt8]
    /// The session ID the server gave (empty: it gave none, so ID resumption is impossible).
    var sessionID: [UInt8]
    /// The ticket from NewSessionTicket (RFC 5077), if the server sent a non-empty one.
    var ticket: [UInt8]?
    var extendedMasterSecret: Bool
}

/// What the server answered to an encrypted ClientHello on an established connection.
enum TLS12RenegotiationAnswer: Sendable, Hashable {
    /// An (encrypted) ServerHello: the server renegotiates at a client's request.
    case serverHello
    /// A warning no_renegotiation (RFC 5246 §7.2.2) or a fatal alert.
    case alert(Alert)
    case closed
    /// Nothing within the read deadline: the hello was ignored.
    case ignored
}

/// Everything one connection of our TLS 1.2 client learned.
struct TLS12HandshakeResult: Sendable {
    var serverHello: ServerHello?
    /// Both Finished messages exchanged and the server's verified: the keys are right.
    var established = false
    /// The ServerHello echoed the session ID we offered: an abbreviated handshake.
    var resumed = false
    /// The ServerHello did not echo the session we offered: it wants a full handshake (not completed).
    var resumptionDeclined = false
    /// The session to resume later (full handshakes), or the resumed one.
    var session: TLS12Session?
    /// A NewSessionTicket arrived (RFC 5077 §3.3), even an empty one.
    var newSessionTicket = false
    var renegotiation: TLS12RenegotiationAnswer?
    /// The HTTP response head (status line and headers, without the blank line) when a request was
    /// sent; what had arrived when the server closed before the blank line.
    var httpHead: String?
    var error: TLSClientError?

    /// The server negotiated RFC 5746 secure renegotiation.
    var secureRenegotiation: Bool { serverHello?.extensions.contains(.renegotiationInfo) ?? false }
}
