import TLSWire

/// Everything the policy looks at for one connection, known once the ClientHello has arrived.
public struct ConnectionFacts: Sendable, Hashable {
    public var serverName: String?
    public var maxOfferedVersion: ProtocolVersion
    /// The client's IP address in text form.
    public var clientAddress: String?

    public init(serverName: String?, maxOfferedVersion: ProtocolVersion, clientAddress: String?) {
        self.serverName = serverName
        self.maxOfferedVersion = maxOfferedVersion
        self.clientAddress = clientAddress
    }
}
