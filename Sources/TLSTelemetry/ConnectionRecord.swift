import Foundation

/// One client connection to the gateway, accepted or refused: what the client offered, what the
/// policy decided and why, and what was negotiated.
///
/// Written once per connection, when the outcome is known (handshake finished, refused, or the
/// first flight was unusable). Stored in the `connection` table (docs/gateway-records.md).
public struct ConnectionRecord: Sendable, Hashable, Codable {
    /// A UUID string; `RequestRecord.connectionID` points here.
    public var id: String
    public var time: Date
    /// The listener's configured name.
    public var listener: String
    public var clientAddress: String
    public var clientPort: Int
    /// The server_name the client sent (RFC 6066 §3), nil when it sent none.
    public var serverName: String?
    /// Offered versions, newest first, comma-separated names (`TLSv1.2,TLSv1.1,TLSv1.0`).
    public var offeredVersions: String?
    public var maxOfferedVersion: String?
    /// Record-layer version of the first record (`SSLv2` for an SSL 2.0-format hello).
    public var recordVersion: String?
    public var negotiatedVersion: String?
    /// IANA name of the negotiated suite, read from the ServerHello.
    public var cipherSuite: String?
    public var ja3: String?
    public var ja4: String?
    /// ALPN protocols the client offered, comma-separated.
    public var alpnOffered: String?
    /// The ALPN protocol agreed in the handshake.
    public var alpnNegotiated: String?
    /// `accepted`, `accepted-legacy`, `refused`, `malformed`, `handshake-failed`, `abandoned`.
    public var outcome: String
    /// The policy rule that decided (e.g. `hosts[api.example.com].cutoff`).
    public var rule: String
    /// The policy mode in force for this client: `modern`, `observe`, `warn`, `brownout`, `enforce`, `exception`.
    public var mode: String?
    /// Why a refusal or failure happened, in words.
    public var detail: String?
    /// `ClientHelloRecord.hash` of the client's hello (nil: no usable hello).
    public var helloHash: String?
    /// The gateway that wrote the record (`records.gateway`, default the host name): several
    /// gateways may share one database.
    public var gateway: String?

    public init(
        id: String = UUID().uuidString, time: Date, listener: String, clientAddress: String, clientPort: Int,
        serverName: String? = nil, offeredVersions: String? = nil, maxOfferedVersion: String? = nil,
        recordVersion: String? = nil, negotiatedVersion: String? = nil, cipherSuite: String? = nil,
        ja3: String? = nil, ja4: String? = nil, alpnOffered: String? = nil, alpnNegotiated: String? = nil,
        outcome: String, rule: String, mode: String? = nil, detail: String? = nil, helloHash: String? = nil,
        gateway: String? = nil
    ) {
        self.id = id
        self.time = time
        self.listener = listener
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.serverName = serverName
        self.offeredVersions = offeredVersions
        self.maxOfferedVersion = maxOfferedVersion
        self.recordVersion = recordVersion
        self.negotiatedVersion = negotiatedVersion
        self.cipherSuite = cipherSuite
        self.ja3 = ja3
        self.ja4 = ja4
        self.alpnOffered = alpnOffered
        self.alpnNegotiated = alpnNegotiated
        self.outcome = outcome
        self.rule = rule
        self.mode = mode
        self.detail = detail
        self.helloHash = helloHash
        self.gateway = gateway
    }
}
