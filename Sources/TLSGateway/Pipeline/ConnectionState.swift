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
    var negotiatedVersion: ProtocolVersion?
    var negotiatedALPN: String?
    /// TLS 1.0 CBC only: whether the first application record was split (BEAST countermeasure).
    var splitFirstRecord: Bool?
    var recorded = false
    /// The listener serves only the client check (no policy on the handshake).
    let isClientCheckListener: Bool

    init(start: Date, listener: String, remote: SocketAddress?, isClientCheckListener: Bool = false) {
        self.start = start
        self.listener = listener
        self.isClientCheckListener = isClientCheckListener
        self.clientAddress = remote?.ipAddress ?? "unknown"
        self.clientPort = remote?.port ?? 0
    }

    var serverName: String? { flight?.hello.serverName }

    /// `ClientHello.distinctHash` of the hello, computed once.
    lazy var helloHash: String? = flight.map { $0.hello.distinctHash(recordVersion: $0.recordVersion) }

    /// What the client check needs to know about this connection (nil before a hello was read).
    func observation(outcome: String? = nil, detail: String? = nil) -> ClientCheckObservation? {
        guard let flight else { return nil }
        var o = ClientCheckObservation(flight: flight, clientAddress: clientAddress, listener: listener, seenAt: start)
        o.negotiatedVersion = negotiatedVersion
        o.negotiatedSuite = negotiatedSuite
        o.negotiatedALPN = negotiatedALPN
        o.splitFirstRecord = splitFirstRecord
        o.outcome = outcome
        o.outcomeDetail = detail
        return o
    }

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
            outcome: outcome, rule: rule, mode: mode, detail: detail, helloHash: helloHash)
    }
}
