import NIOCore
import TLSReport
import TLSWire

/// The TLS 1.3 client's ClientHello: key shares, ALPN, cookie, early_data, and a ticket's
/// pre_shared_key with its binder.
extension TLS13ClientStateMachine {
    /// A ClientHello handshake message. With a ticket on offer, pre_shared_key comes last (§4.2.11)
    /// and its binder is an HMAC over `prefix` (the transcript before this hello) and the hello up to
    /// the binders (§4.2.11.2).
    func buildHello(cookie: [UInt8]?, earlyData: Bool, prefix: [UInt8]) -> [UInt8] {
        var suites = configuration.cipherSuites
        if let t = offeredTicket, let i = suites.firstIndex(of: t.suite) { suites.insert(suites.remove(at: i), at: 0) }
        var b = ClientHelloBuilder(version: .tls13, cipherSuites: suites, serverName: configuration.serverName)
        b.groups = configuration.groups
        b.keyShares = keys.map(\.keyShare)
        b.alpn = configuration.alpn
        b.extendedMasterSecret = false
        b.secureRenegotiation = false
        b.sessionTicket = false
        b.statusRequest = false
        b.padForF5 = false
        if let cookie { b.extraExtensions.append(TLSExtension(type: .cookie, data: cookie)) }
        if earlyData { b.extraExtensions.append(TLSExtension(type: .earlyData, data: [])) }
        var hello = b.build()
        hello.random = random
        hello.sessionID = sessionID

        guard let t = offeredTicket, let p = TLS13SuiteParameters.forSuite(t.suite) else {
            return Array(Self.padded(hello, reserving: 0).handshakeBytes.readableBytesView)
        }
        let age = configuration.ticketAgeMilliseconds
            ?? UInt32(clamping: max(0, (NIODeadline.now() - t.receivedAt).nanoseconds / 1_000_000))
        // §4.2.11: PskIdentity identities<7..2^16-1> (identity<1..2^16-1>, uint32 obfuscated_ticket_age),
        // PskBinderEntry binders<33..2^16-1> (one entry, Hash.length bytes, filled in below).
        let psk = TLSExtension(type: .preSharedKey) { e in
            e.writeTLSVector(.two) { ids in
                ids.writeTLSVector(.two) { $0.writeBytes(t.ticket) }
                ids.writeInteger(age &+ t.ageAdd)
            }
            e.writeTLSVector(.two) { binders in binders.writeTLSVector(.one) { $0.writeBytes([UInt8](repeating: 0, count: p.hash.length)) } }
        }
        hello = Self.padded(hello, reserving: psk.data.count + 4)
        hello.extensions.append(psk)
        var bytes = Array(hello.handshakeBytes.readableBytesView)
        let bindersLength = 2 + 1 + p.hash.length
        let binderKey = TLS13KeySchedule.resumptionBinderKey(p.hash, earlySecret: TLS13KeySchedule.earlySecret(p.hash, psk: t.psk))
        let binder = TLS13KeySchedule.verifyData(p.hash, baseKey: binderKey, transcript: prefix + bytes[..<(bytes.count - bindersLength)])
        bytes.replaceSubrange((bytes.count - p.hash.length)..., with: binder)
        return bytes
    }

    /// RFC 7685 §1: keep the hello out of 256–511 bytes (see ClientHelloBuilder.padForF5), counting
    /// `reserving` bytes of extensions still to come (the padding must precede pre_shared_key).
    static func padded(_ hello: ClientHello, reserving: Int) -> ClientHello {
        var h = hello
        h.padForF5(reserving: reserving)
        return h
    }

    static func handshake(_ type: HandshakeType, _ body: (inout ByteBuffer) -> Void) -> [UInt8] {
        Array(HandshakeMessage.framed(type, body).readableBytesView)
    }
}
