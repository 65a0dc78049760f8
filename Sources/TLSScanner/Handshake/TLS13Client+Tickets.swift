import NIOCore
import TLSReport
import TLSWire

/// After the handshake, and before it: 0-RTT early data, NewSessionTickets, KeyUpdate, close_notify.
extension TLS13ClientStateMachine {
    /// 0-RTT data after the first ClientHello, under the ticket's suite (§4.2.10).
    mutating func sealEarlyData(_ early: [UInt8], out: inout ByteBuffer) {
        guard let t = offeredTicket, let p = TLS13SuiteParameters.forSuite(t.suite) else { return }
        // §7.1: client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello).
        let earlySecret = TLS13KeySchedule.earlySecret(p.hash, psk: t.psk)
        var protection = TLS13RecordProtection(p, secret: TLS13KeySchedule.deriveSecret(
            p.hash, secret: earlySecret, label: "c e traffic", transcript: transcript))
        if let record = try? protection.seal(.applicationData, early) {
            record.write(to: &out)
            result.earlyDataSent = early.count
            earlyWrite = protection
        }
    }

    mutating func newSessionTicket(_ body: ByteBuffer, out: inout ByteBuffer) throws {
        guard let p = params else { return }
        let nst = try NewSessionTicket13(parsingBody: body)
        result.tickets.append(TLS13Ticket(
            suite: p.suite, lifetime: nst.lifetime, ageAdd: nst.ageAdd, nonce: nst.nonce, ticket: nst.ticket,
            maxEarlyDataSize: try nst.maxEarlyDataSize(),
            psk: TLS13KeySchedule.resumptionPSK(p.hash, resumptionMasterSecret: resumptionMasterSecret, nonce: nst.nonce),
            receivedAt: .now(), alpn: result.alpn))
        if result.tickets.count >= configuration.maxTickets {
            try closeNotify(out: &out)
            phase = .done
        } else {
            ticketArrived = true
        }
    }

    /// §4.6.3: the server's next traffic secret. (We never send data, so a requested update of
    /// ours is not owed before we close.)
    mutating func keyUpdate(_ body: ByteBuffer) throws {
        guard let p = params else { return }
        var b = body
        let request = try b.readStrict(UInt8.self, field: "KeyUpdate.request_update")
        try b.expectFullyConsumed(field: "KeyUpdate")
        guard request <= 1 else { throw TLSClientError(.malformed, "KeyUpdate with request_update \(request)") }
        serverApplicationSecret = TLS13KeySchedule.nextTrafficSecret(p.hash, serverApplicationSecret)
        readProtection = TLS13RecordProtection(p, secret: serverApplicationSecret)
        try keysChanged(after: "KeyUpdate")
    }

    /// Our close_notify (RFC 8446 §6.1), once: nothing is sent after it.
    mutating func closeNotify(out: inout ByteBuffer) throws {
        guard writeProtection != nil, !closeNotifySent else { return }
        try writeProtection!.seal(.alert, [AlertLevel.warning.rawValue, AlertDescription.closeNotify.rawValue]).write(to: &out)
        closeNotifySent = true
    }
}
