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
        let version = try sh.negotiatedVersion()
        guard version == .tls12 else {
            throw TLSClientError(.unsupportedParameters, "the server answered a TLS 1.2 hello with \(version.displayName)")
        }
        guard configuration.cipherSuites.contains(sh.cipherSuite), let p = TLS12SuiteParameters.forSuite(sh.cipherSuite) else {
            throw TLSClientError(.unsupportedParameters, "the server chose \(sh.cipherSuite.name), which we did not offer")
        }
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

    func parseServerKeyExchange(_ body: ByteBuffer) throws -> (group: NamedGroup, point: [UInt8]) {
        // RFC 8422 §5.4: ECParameters (curve_type 3 = named_curve, NamedCurve), ECPoint public<1..2^8-1>,
        // then RFC 5246 §7.4.3 digitally-signed: SignatureAndHashAlgorithm, opaque signature<0..2^16-1>.
        var b = body
        let f = "ServerKeyExchange"
        let curveType = try b.readStrict(UInt8.self, field: "\(f).curve_type")
        guard curveType == 3 else {
            throw TLSClientError(.unsupportedParameters, "the ServerKeyExchange uses explicit curve parameters (type \(curveType))")
        }
        let group = NamedGroup(try b.readStrict(UInt16.self, field: "\(f).namedcurve"))
        let point = try b.readTLSVectorStrict(.one, field: "\(f).public", min: 1)
        _ = try b.readStrict(UInt16.self, field: "\(f).signature_algorithm")
        _ = try b.readTLSVectorStrict(.two, field: "\(f).signature")
        try b.expectFullyConsumed(field: f)
        guard configuration.groups.contains(group) else {
            throw TLSClientError(.unsupportedParameters, "the server chose the curve \(group), which we did not offer")
        }
        return (group, Array(point.readableBytesView))
    }

    /// ServerHelloDone arrived: [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished.
    mutating func clientFlight(out: inout ByteBuffer) throws {
        guard let kx = serverKeyExchange, let p = params else { throw TLSClientError(.unexpectedMessage, "no key exchange") }
        let (publicKey, preMaster) = try Self.keyAgreement(group: kx.group, serverPoint: kx.point)
        var messages = ByteBuffer()
        if certificateRequested {
            // RFC 5246 §7.4.6: a client without a suitable certificate sends an empty list.
            messages.writeImmutableBuffer(Self.handshake(.certificate) { $0.writeUInt24(0) })
        }
        // RFC 8422 §5.7: ClientECDiffieHellmanPublic: ECPoint ecdh_Yc<1..2^8-1>.
        messages.writeImmutableBuffer(Self.handshake(.clientKeyExchange) { b in b.writeTLSVector(.one) { $0.writeBytes(publicKey) } })
        transcript += messages.readableBytesView
        masterSecret = TLS12KeySchedule.masterSecret(
            p.hash, preMaster: preMaster, clientRandom: clientRandom, serverRandom: serverRandom,
            sessionHash: extendedMasterSecret ? p.hash.hash(transcript) : nil)
        deriveKeys()
        TLSRecord(contentType: .handshake, version: .tls12, fragment: messages).write(to: &out)
        try clientFinished(out: &out)
        phase = .serverCCS
    }

    /// ChangeCipherSpec, then our Finished under the new keys.
    mutating func clientFinished(out: inout ByteBuffer) throws {
        guard let p = params else { return }
        TLSRecord(contentType: .changeCipherSpec, version: .tls12, fragment: ByteBuffer(bytes: [1])).write(to: &out)
        writeProtection = pendingWrite
        clientVerifyData = TLS12KeySchedule.finished(p.hash, master: masterSecret, client: true, transcript: transcript)
        let finished = Self.handshake(.finished) { $0.writeBytes(clientVerifyData) }
        transcript += finished.readableBytesView
        try seal(.handshake, Array(finished.readableBytesView), out: &out)
    }

    mutating func serverFinished(_ body: ByteBuffer, out: inout ByteBuffer) throws {
        guard let p = params else { return }
        let expected = TLS12KeySchedule.finished(p.hash, master: masterSecret, client: false, transcript: transcript)
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
        if configuration.renegotiate && !result.resumed {
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
        try writeProtection!.seal(type, plaintext: plaintext).write(to: &out)
    }

    mutating func deriveKeys() {
        guard let p = params else { return }
        let k = TLS12KeySchedule.keys(p, master: masterSecret, clientRandom: clientRandom, serverRandom: serverRandom)
        pendingWrite = TLS12RecordProtection(key: k.clientKey, salt: k.clientIV)
        pendingRead = TLS12RecordProtection(key: k.serverKey, salt: k.serverIV)
    }
}
