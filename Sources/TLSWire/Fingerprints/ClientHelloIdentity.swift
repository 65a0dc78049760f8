import Crypto
import NIOCore

extension ClientHello {
    /// The hello's wire bytes with what differs on every connection blanked: random, session ID,
    /// GREASE values (RFC 8701), key-share bytes (the groups stay), PSK, padding and ticket data;
    /// followed by the record version it was framed with.
    ///
    /// Two connections from the same client build give the same bytes, and a server's choice of
    /// version, suite, group and signature does not depend on what was blanked: so this is the
    /// identity under which the gateway stores a hello once and a simulation is cached.
    public func distinctBytes(recordVersion: ProtocolVersion) -> [UInt8] {
        var h = self
        h.random = [UInt8](repeating: 0, count: h.random.count)
        h.sessionID = []
        h.cipherSuites = h.cipherSuites.map { $0.isGREASE ? CipherSuite(0x0A0A) : $0 }
        for i in h.extensions.indices where h.extensions[i].type.isGREASE { h.extensions[i].type = ExtensionType(0x0A0A) }
        let perConnection: Set<ExtensionType> = [.keyShare, .preSharedKey, .padding, .sessionTicket]
        for i in h.extensions.indices where perConnection.contains(h.extensions[i].type) {
            guard h.extensions[i].type == .keyShare else {
                h.extensions[i].data = []
                continue
            }
            let shares = (try? h.extensions.clientKeyShares()) ?? nil
            h.extensions[i].data = shares.map { $0.flatMap { s -> [UInt8] in
                let group = s.group.isGREASE ? 0x0A0A : s.group.rawValue
                return [UInt8(group >> 8), UInt8(group & 0xFF)]
            } } ?? []
        }
        var bytes = Array((h.isSSLv2Format ? h.sslv2Record() : h.records(recordVersion: recordVersion)).readableBytesView)
        bytes.append(contentsOf: [recordVersion.major, recordVersion.minor])
        return bytes
    }

    /// SHA-256 (hex) of `distinctBytes`: the key of the gateway's `client_hello` table.
    public func distinctHash(recordVersion: ProtocolVersion) -> String {
        Array(SHA256.hash(data: distinctBytes(recordVersion: recordVersion))).hexString
    }

    /// The hello as a client sends it: its records (or the SSL 2.0 record).
    public func wireBytes(recordVersion: ProtocolVersion) -> [UInt8] {
        Array((isSSLv2Format ? sslv2Record() : records(recordVersion: recordVersion)).readableBytesView)
    }
}
