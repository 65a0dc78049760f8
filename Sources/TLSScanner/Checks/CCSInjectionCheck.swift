import NIOCore
import TLSReport
import TLSWire

/// CCS injection (CVE-2014-0224): two ChangeCipherSpec records before the key exchange. A patched
/// server refuses the first (unexpected_message); a vulnerable one takes it and then fails to
/// decrypt, answering with an encrypted alert or bad_record_mac/decryption_failed. One connection.
struct CCSInjectionCheck: ScanCheck {
    static let step = ScanStep.ccsInjection
    /// The best version below TLS 1.3 (nil: only TLS 1.3) and its accepted suites.
    var version: ProtocolVersion?
    var suites: [CipherSuite]

    func run(_ probes: ProbeSession) async -> Finding {
        var f = Finding(.ccsInjection)
        guard let v = version else {
            f.check = .notApplicable("only TLS 1.3 is offered")
            return f
        }
        let followUp = FollowUp(listenFor: .seconds(2)) { flight in
            var b = ByteBuffer()
            let version = flight.serverHello?.legacyVersion ?? v
            for _ in 0..<2 { TLSRecord(contentType: .changeCipherSpec, version: version, fragment: ByteBuffer(bytes: [1])).write(to: &b) }
            return b
        }
        let conversation = await probes.converse(probes.hello(v, suites: suites), stopAt: .serverHelloDone, followUp: followUp)
        guard let reply = conversation.reply else {
            f.check = .error("the \(v.displayName) handshake for it failed: \(probes.describe(conversation.outcome))")
            return f
        }
        let alertRecords = reply.records.filter { $0.contentType == .alert }
        if reply.alerts.contains(where: { $0.alertDescription == AlertDescription(20) || $0.alertDescription == AlertDescription(21) })
            || alertRecords.contains(where: { $0.length != 2 }) {
            f.seen = true
            f.evidence = "an early ChangeCipherSpec was accepted: the server then answered with "
                + (reply.alerts.first.map { "\($0.alertDescription)" } ?? "an encrypted alert")
        } else if let alert = reply.alerts.first {
            f.seen = false
            f.evidence = "an early ChangeCipherSpec was refused with \(alert.alertDescription)"
        } else if reply.closed {
            f.seen = false
            f.evidence = "an early ChangeCipherSpec made the server close the connection"
        } else {
            f.check = .error("no answer within 2 s to an early ChangeCipherSpec: inconclusive")
        }
        return f
    }
}
