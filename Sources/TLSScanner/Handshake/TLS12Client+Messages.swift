import Crypto
import NIOCore
import TLSReport
import TLSWire

/// The TLS 1.2 handshake messages: the server's ServerHello and flight, our ClientKeyExchange and
/// Finished, the server's Finished, and what an established connection does next.
extension TLS12ClientStateMachine {
    mutating func serverHello(_ body: ByteBuffer) throws {
        let sh = try ServerHello(parsingBody: body)
        result.serverHello = sh
        let chosen = try sh.negotiatedVersion()
        guard chosen >= .tls10, chosen <= configuration.version else {
            throw TLSClientError(.unsupportedParameters,
                                 "the server answered a \(configuration.version.displayName) hello with \(chosen.displayName)")
        }
        guard configuration.cipherSuites.contains(sh.cipherSuite), let p = TLS12SuiteParameters.forSuite(sh.cipherSuite) else {
            throw TLSClientError(.unsupportedParameters, "the server chose \(sh.cipherSuite.name), which we did not offer")
        }
        guard p.usable(in: chosen) else {
            throw TLSClientError(.unsupportedParameters, "the server chose \(sh.cipherSuite.name), which \(chosen.displayName) does not define")
        }
        version = chosen
        guard sh.compressionMethod == 0 else {
            throw TLSClientError(.unsupportedParameters, "the server chose compression method \(sh.compressionMethod)")
        }
        params = p
        serverRandom = sh.random
        extendedMasterSecret = try sh.extensions.hasExtendedMasterSecret()
        if extendedMasterSecret && !configuration.extendedMasterSecret {
            throw TLSClientError(.unsupportedParameters, "the server sent extended_master_secret, which we did not offer")
        }
        // RFC 5746 §3.4: on an initial handshake renegotiated_connection must be empty.
        if let ri = try sh.extensions.renegotiationInfo(), !ri.isEmpty {
            throw TLSClientError(.malformed, "renegotiation_info of \(ri.count) bytes on an initial handshake")
        }
        guard let resume = configuration.resume else {
            phase = .serverFlight
            return
        }
        // RFC 5246 §7.4.1.3, RFC 5077 §3.4: the server echoes the session ID to resume.
        guard !offeredSessionID.isEmpty, sh.sessionID == offeredSessionID else {
            result.resumptionDeclined = true
            phase = .done
            return
        }
        let session = resume.session
        guard sh.cipherSuite == session.suite else {
            throw TLSClientError(.unexpectedMessage, "the server resumed the session with \(sh.cipherSuite.name), not its suite \(session.suite.name)")
        }
        // RFC 7627 §5.3: a session resumes only with the same extended-master-secret choice.
        guard extendedMasterSecret == session.extendedMasterSecret else {
            throw TLSClientError(.unexpectedMessage, "the server resumed a session with a different extended_master_secret choice")
        }
        result.resumed = true
        masterSecret = session.masterSecret
        ticket = session.ticket
        deriveKeys()
        phase = .serverCCS
    }

    /// ServerHelloDone arrived: [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished.
    mutating func clientFlight(out: inout ByteBuffer) throws {
        guard let p = params else { throw TLSClientError(.unexpectedMessage, "no key exchange") }
        let (exchange, preMaster) = try clientKeyExchange(p)
        var messages = ByteBuffer()
        if certificateRequested {
            // RFC 5246 §7.4.6: a client without a suitable certificate sends an empty list.
            messages.writeImmutableBuffer(Self.handshake(.certificate) { $0.writeUInt24(0) })
        }
        messages.writeImmutableBuffer(Self.handshake(.clientKeyExchange) { $0.writeImmutableBuffer(exchange) })
        transcript += messages.readableBytesView
        let prf = TLSPRF(version: version, suite: p)
        masterSecret = TLS12KeySchedule.masterSecret(
            prf, preMaster: preMaster, clientRandom: clientRandom, serverRandom: serverRandom,
            sessionHash: extendedMasterSecret ? prf.transcriptHash(transcript) : nil)
        deriveKeys()
        TLSRecord(contentType: .handshake, version: version, fragment: messages).write(to: &out)
        try clientFinished(out: &out)
        phase = .serverCCS
    }

    /// ChangeCipherSpec, then our Finished under the new keys.
    mutating func clientFinished(out: inout ByteBuffer) throws {
        guard let p = params else { return }
        TLSRecord(contentType: .changeCipherSpec, version: version, fragment: ByteBuffer(bytes: [1])).write(to: &out)
        writeProtection = pendingWrite
        clientVerifyData = TLS12KeySchedule.finished(TLSPRF(version: version, suite: p), master: masterSecret, client: true, transcript: transcript)
        let finished = Self.handshake(.finished) { $0.writeBytes(clientVerifyData) }
        transcript += finished.readableBytesView
        try seal(.handshake, Array(finished.readableBytesView), out: &out)
    }

    mutating func serverFinished(_ body: ByteBuffer, out: inout ByteBuffer) throws {
        guard let p = params else { return }
        let expected = TLS12KeySchedule.finished(TLSPRF(version: version, suite: p), master: masterSecret, client: false, transcript: transcript)
        guard body.readableBytesView.elementsEqual(expected) else {
            throw TLSClientError(.finishedMismatch, "the server's Finished does not verify (got \(Array(body.readableBytesView.prefix(12)).hexString), "
                                   + "expected \(expected.hexString)): the keys disagree")
        }
    }

    mutating func established(out: inout ByteBuffer) throws {
        guard let p = params, let sh = result.serverHello else { return }
        result.established = true
        result.session = TLS12Session(suite: p.suite, masterSecret: masterSecret,
                                      sessionID: result.resumed ? offeredSessionID : sh.sessionID,
                                      ticket: ticket, extendedMasterSecret: extendedMasterSecret)
        if let request = configuration.httpRequest {
            try sendHTTPRequest(request, out: &out)
        } else if configuration.renegotiate && !result.resumed {
            let hello = buildHello(renegotiation: true)
            try seal(.handshake, Array(hello.handshakeBytes.readableBytesView), out: &out)
            phase = .renegotiating
        } else {
            // close_notify, so the server keeps the session (OpenSSL drops it after an unclean end).
            try seal(.alert, [AlertLevel.warning.rawValue, AlertDescription.closeNotify.rawValue], out: &out)
            phase = .done
        }
    }

    mutating func seal(_ type: ContentType, _ plaintext: [UInt8], out: inout ByteBuffer) throws {
        guard writeProtection != nil else { throw TLSClientError(.unexpectedMessage, "no write keys") }
        try writeProtection!.seal(type, version: version, plaintext: plaintext).write(to: &out)
    }

    mutating func deriveKeys() {
        guard let p = params else { return }
        let k = TLS12KeySchedule.cipherKeys(p, version: version, master: masterSecret, clientRandom: clientRandom, serverRandom: serverRandom)
        (pendingWrite, pendingRead) = TLS12RecordCipher.pair(p, version: version, keys: k)
    }
}
