import Crypto
import NIOCore
import TLSReport
import TLSWire

/// The TLS 1.3 handshake messages: ServerHello (or HelloRetryRequest), EncryptedExtensions, and
/// the server's Finished with our answer to it.
extension TLS13ClientStateMachine {
    mutating func serverHello(_ body: ByteBuffer, _ bytes: [UInt8], out: inout ByteBuffer) throws {
        let sh = try ServerHello(parsingBody: body)
        let version = try sh.negotiatedVersion()
        guard version == .tls13 else {
            result.serverHello = sh
            throw TLSClientError(.unsupportedParameters, "the server answered a TLS 1.3 hello with \(version.displayName)")
        }
        // §4.1.3: legacy_session_id_echo must be ours, compression 0.
        guard sh.sessionID == sessionID else {
            throw TLSClientError(.malformed, "the ServerHello's legacy_session_id_echo is not the session ID we sent")
        }
        guard sh.compressionMethod == 0 else {
            throw TLSClientError(.malformed, "a TLS 1.3 ServerHello with compression method \(sh.compressionMethod)")
        }
        guard configuration.cipherSuites.contains(sh.cipherSuite), let p = TLS13SuiteParameters.forSuite(sh.cipherSuite) else {
            throw TLSClientError(.unsupportedParameters, "the server chose \(sh.cipherSuite.name), which we did not offer")
        }
        if sh.isHelloRetryRequest {
            try helloRetryRequest(sh, bytes, p, out: &out)
            return
        }
        if let r = retrySuite, r != sh.cipherSuite {
            throw TLSClientError(.malformed, "the ServerHello's suite \(sh.cipherSuite.name) is not the HelloRetryRequest's \(r.name)")
        }
        result.serverHello = sh

        let psk = try acceptedPSK(sh, p)
        // We offer psk_dhe_ke only: there is always a key exchange.
        guard let share = try sh.extensions.serverKeyShare() else {
            throw TLSClientError(.unsupportedParameters, "the ServerHello has no key_share (psk_ke, which we did not offer)")
        }
        guard let key = keys.first(where: { $0.group == share.group }) else {
            throw TLSClientError(.unsupportedParameters, "the server's key share is for \(share.group), which we sent no share for")
        }
        let shared = try key.sharedSecret(with: share.keyExchange)
        result.group = share.group
        params = p
        transcript += bytes
        let early = TLS13KeySchedule.earlySecret(p.hash, psk: psk)
        handshakeSecret = TLS13KeySchedule.handshakeSecret(p.hash, earlySecret: early, sharedSecret: shared)
        clientHandshakeSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: handshakeSecret, label: "c hs traffic", transcript: transcript)
        serverHandshakeSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: handshakeSecret, label: "s hs traffic", transcript: transcript)
        readProtection = TLS13RecordProtection(p, secret: serverHandshakeSecret)
        try keysChanged(after: "the ServerHello")
        phase = .encryptedExtensions
    }

    /// §4.2.11: the server takes a PSK by naming its index; nil: a full handshake.
    mutating func acceptedPSK(_ sh: ServerHello, _ p: TLS13SuiteParameters) throws -> [UInt8]? {
        guard let index = try sh.extensions.serverSelectedIdentity() else { return nil }
        guard let t = offeredTicket else {
            throw TLSClientError(.unexpectedMessage, "the ServerHello selects a pre-shared key, which we did not offer")
        }
        guard index == 0 else { throw TLSClientError(.malformed, "the server selected PSK identity \(index); we offered one") }
        guard TLS13SuiteParameters.forSuite(t.suite)?.hash == p.hash else {
            throw TLSClientError(.malformed, "the server resumed with \(p.suite.name), whose hash is not the ticket's")
        }
        result.pskAccepted = true
        return t.psk
    }

    /// §4.1.4: at most one HelloRetryRequest; answer it with a second ClientHello carrying a share
    /// for the group it names and its cookie, without early data (§4.2.10).
    mutating func helloRetryRequest(_ hrr: ServerHello, _ bytes: [UInt8], _ p: TLS13SuiteParameters, out: inout ByteBuffer) throws {
        guard retrySuite == nil else {
            throw TLSClientError(.unexpectedMessage, "a second HelloRetryRequest (RFC 8446 §4.1.4 allows one)")
        }
        retrySuite = p.suite
        result.helloRetryRequest = true
        let group = try hrr.extensions.helloRetryRequestGroup()
        let cookie = hrr.extensions[.cookie]?.data
        guard group != nil || cookie != nil else {
            throw TLSClientError(.malformed, "a HelloRetryRequest that asks for nothing (no key_share, no cookie)")
        }
        if let group {
            guard configuration.groups.contains(group) else {
                throw TLSClientError(.unsupportedParameters, "the HelloRetryRequest asks for \(group), which we did not offer")
            }
            guard !keys.contains(where: { $0.group == group }) else {
                throw TLSClientError(.malformed, "the HelloRetryRequest asks for a \(group) share, which we already sent")
            }
            guard let key = EphemeralKey(group) else {
                throw TLSClientError(.unsupportedParameters, "the HelloRetryRequest asks for \(group), which we cannot compute")
            }
            keys = [key]
            result.helloRetryGroup = group
        }
        if result.earlyDataSent > 0 { result.earlyDataAccepted = false }
        earlyWrite = nil
        // §4.1.4: keep only a PSK whose hash is the HelloRetryRequest's suite's.
        if let t = offeredTicket, TLS13SuiteParameters.forSuite(t.suite)?.hash != p.hash {
            offeredTicket = nil
            result.pskOffered = false
        }
        transcript = TLS13KeySchedule.messageHash(p.hash, clientHello1: transcript) + bytes
        let hello = buildHello(cookie: cookie, earlyData: false, prefix: transcript)
        transcript += hello
        TLSRecord(contentType: .handshake, version: .tls12, fragment: ByteBuffer(bytes: hello)).write(to: &out)
    }

    mutating func encryptedExtensions(_ body: ByteBuffer) throws {
        let ee = try EncryptedExtensions(parsingBody: body)
        result.encryptedExtensions = ee.extensions
        if let protocols = try ee.extensions.alpnProtocols() {
            // RFC 7301 §3.1: exactly one protocol, one we offered.
            let name = protocols.count == 1 ? String(decoding: protocols[0], as: UTF8.self) : nil
            guard let name, configuration.alpn.contains(name) else {
                throw TLSClientError(.malformed, "EncryptedExtensions names ALPN \(protocols.map { String(decoding: $0, as: UTF8.self) }), "
                                     + "not one protocol we offered")
            }
            result.alpn = name
        }
        let accepted = try ee.extensions.hasEmptyEarlyData()
        if accepted && !(result.earlyDataSent > 0 && result.pskAccepted) {
            throw TLSClientError(.unexpectedMessage, "EncryptedExtensions accepts early data that we did not send")
        }
        if result.earlyDataSent > 0 { result.earlyDataAccepted = accepted }
        phase = result.pskAccepted ? .serverFinished : .certificate
    }

    mutating func serverFinished(_ body: ByteBuffer, _ bytes: [UInt8], out: inout ByteBuffer) throws {
        guard let p = params else { throw TLSClientError(.unexpectedMessage, "no keys") }
        let expected = TLS13KeySchedule.verifyData(p.hash, baseKey: serverHandshakeSecret, transcript: transcript)
        guard body.readableBytesView.elementsEqual(expected) else {
            throw TLSClientError(.finishedMismatch, "the server's Finished does not verify (got "
                + "\(Array(body.readableBytesView.prefix(p.hash.length)).hexString), expected \(expected.hexString)): the keys disagree")
        }
        transcript += bytes
        let master = TLS13KeySchedule.masterSecret(p.hash, handshakeSecret: handshakeSecret)
        let clientApplicationSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: master, label: "c ap traffic", transcript: transcript)
        serverApplicationSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: master, label: "s ap traffic", transcript: transcript)
        readProtection = TLS13RecordProtection(p, secret: serverApplicationSecret)
        try keysChanged(after: "the server's Finished")

        // §4.5: EndOfEarlyData under the early keys when the server took 0-RTT data.
        if result.earlyDataAccepted == true, var early = earlyWrite {
            let eoed = Self.handshake(.endOfEarlyData) { _ in }
            try early.seal(.handshake, eoed).write(to: &out)
            transcript += eoed
        }
        var write = TLS13RecordProtection(p, secret: clientHandshakeSecret)
        if let context = certificateRequestContext {
            // §4.4.2: a client without a certificate sends an empty list, echoing the context.
            let certificate = Self.handshake(.certificate) { b in
                b.writeTLSVector(.one) { $0.writeBytes(context) }
                b.writeTLSVector(.three) { _ in }
            }
            try write.seal(.handshake, certificate).write(to: &out)
            transcript += certificate
        }
        let verify = TLS13KeySchedule.verifyData(p.hash, baseKey: clientHandshakeSecret, transcript: transcript)
        let finished = Self.handshake(.finished) { $0.writeBytes(verify) }
        try write.seal(.handshake, finished).write(to: &out)
        transcript += finished
        resumptionMasterSecret = TLS13KeySchedule.deriveSecret(p.hash, secret: master, label: "res master", transcript: transcript)
        writeProtection = TLS13RecordProtection(p, secret: clientApplicationSecret)
        result.established = true
        if configuration.awaitTickets {
            // Our close_notify goes with our Finished: a server sends its tickets as soon as it has
            // our Finished and answers the close_notify after them (with its own, or by closing),
            // so that answer ends the wait for tickets — at once on a server that issues none,
            // instead of after `firstTicketWait` (1.5 s on every ticketless server).
            try closeNotify(out: &out)
            phase = .tickets
        } else {
            try closeNotify(out: &out)
            phase = .done
        }
    }
}
