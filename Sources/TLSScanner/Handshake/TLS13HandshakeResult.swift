import Crypto
import NIOCore
import TLSReport
import TLSWire

/// A TLS 1.3 resumption ticket and the PSK it stands for (RFC 8446 §4.6.1).
struct TLS13Ticket: Sendable, Hashable {
    /// The suite of the connection that issued it: the PSK's hash, and 0-RTT's suite (§4.2.10).
    var suite: CipherSuite
    /// Seconds (at most seven days).
    var lifetime: UInt32
    var ageAdd: UInt32
    var nonce: [UInt8]
    var ticket: [UInt8]
    /// The early_data extension's max_early_data_size; nil: the ticket does not allow 0-RTT.
    var maxEarlyDataSize: UInt32?
    var psk: [UInt8]
    var receivedAt: NIODeadline
    /// The ALPN protocol of the issuing connection (0-RTT is accepted only with the same, §4.2.10).
    var alpn: String?
}

/// Everything one connection of our TLS 1.3 client learned.
struct TLS13HandshakeResult: Sendable {
    var serverHello: ServerHello?
    /// The group a HelloRetryRequest asked a key share for.
    var helloRetryGroup: NamedGroup?
    var helloRetryRequest = false
    /// The group of the key exchange.
    var group: NamedGroup?
    /// Both Finished messages exchanged and the server's verified: the keys are right.
    var established = false
    var encryptedExtensions: [TLSExtension] = []
    /// The protocol the server picked in EncryptedExtensions (RFC 7301).
    var alpn: String?
    /// The server's Certificate message, DER, leaf first (not verified here).
    var certificateChain: [[UInt8]] = []
    var certificateRequested = false
    /// We offered a ticket (pre_shared_key), and the server took it (pre_shared_key in its ServerHello).
    var pskOffered = false
    var pskAccepted = false
    /// Bytes of 0-RTT application data we sent (0: none, and no early_data extension).
    var earlyDataSent = 0
    /// EncryptedExtensions held early_data: the server took our 0-RTT data. nil when none was sent or
    /// the handshake did not get that far.
    var earlyDataAccepted: Bool?
    /// NewSessionTickets received after the handshake.
    var tickets: [TLS13Ticket] = []
    /// How the wait for tickets ended: quiet, an alert, or the server closing.
    var afterHandshake: String?
    var error: TLSClientError?

    var cipherSuite: CipherSuite? { serverHello?.cipherSuite }
}
