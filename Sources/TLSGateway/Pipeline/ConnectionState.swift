import Foundation
import NIOCore
import TLSTelemetry
import TLSWire

/// What one client connection has learned so far, shared by its handlers.
///
/// Lives on the connection's event loop: only its channel handlers touch it, always on that loop.
final class ConnectionState {
    let id = UUID().uuidString
    let start: Date
    let listener: String
    let clientAddress: String
    let clientPort: Int
    var flight: ClientHelloFlight?
    var fingerprint: ClientFingerprint?
    var decision: ConnectionDecision?
    var negotiatedSuite: CipherSuite?
    var recorded = false

    init(start: Date, listener: String, remote: SocketAddress?) {
        self.start = start
        self.listener = listener
        self.clientAddress = remote?.ipAddress ?? "unknown"
        self.clientPort = remote?.port ?? 0
    }

    var serverName: String? { flight?.hello.serverName }

    /// The record for this connection with what is known now.
    func record(outcome: String, rule: String, mode: String?, negotiatedVersion: String? = nil,
                alpn: String? = nil, detail: String? = nil) -> ConnectionRecord {
        let hello = flight?.hello
        let offered = (try? hello?.offeredVersions())?.map(\.name)
        let alpnOffered = ((try? hello?.extensions.alpnProtocols()) ?? nil)?.map { String(decoding: $0, as: UTF8.self) }
        return ConnectionRecord(
            id: id, time: start, listener: listener, clientAddress: clientAddress, clientPort: clientPort,
            serverName: hello?.serverName, offeredVersions: offered?.joined(separator: ","),
            maxOfferedVersion: (try? hello?.maxOfferedVersion())?.name, recordVersion: flight?.recordVersion.name,
            negotiatedVersion: negotiatedVersion, cipherSuite: negotiatedSuite?.name, ja3: fingerprint?.ja3,
            ja4: fingerprint?.ja4, alpnOffered: alpnOffered?.joined(separator: ","), alpnNegotiated: alpn,
            outcome: outcome, rule: rule, mode: mode, detail: detail)
    }
}
