import NIOCore
import TLSReport
import TLSWire

/// The TLS 1.2 client's hellos (first, resuming, renegotiating) and its key agreement.
extension TLS12ClientStateMachine {
    func buildHello(renegotiation: Bool) -> ClientHello {
        var b = ClientHelloBuilder(version: configuration.version, cipherSuites: configuration.cipherSuites, serverName: configuration.serverName)
        b.groups = configuration.groups
        b.extendedMasterSecret = configuration.extendedMasterSecret
        b.statusRequest = false
        b.sessionTicket = false
        b.padForF5 = false
        if renegotiation {
            // RFC 5746 §3.5: renegotiated_connection = client_verify_data. Without RFC 5746 on the
            // server, a legacy renegotiation hello carries no renegotiation_info.
            b.secureRenegotiation = false
            if result.secureRenegotiation {
                b.extraExtensions = [TLSExtension(type: .renegotiationInfo) { r in r.writeTLSVector(.one) { $0.writeBytes(clientVerifyData) } }]
            }
        } else if case .ticket(let s) = configuration.resume {
            b.extraExtensions = [TLSExtension(type: .sessionTicket, data: s.ticket ?? [])]
        } else if configuration.requestTicket {
            b.extraExtensions = [TLSExtension(type: .sessionTicket, data: [])]
        }
        return b.build()
    }

    /// RFC 7685 §1: keep the hello out of 256–511 bytes (see ClientHelloBuilder.padForF5); done
    /// here because the session ID is set after building.
    static func padded(_ hello: ClientHello) -> ClientHello {
        var h = hello
        h.padForF5()
        return h
    }

    static func handshake(_ type: HandshakeType, _ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
        HandshakeMessage.framed(type, body)
    }

    /// Our ephemeral key and the shared secret (RFC 8422 §5.10: the x-coordinate; RFC 7748 for x25519).
    static func keyAgreement(group: NamedGroup, serverPoint: [UInt8]) throws -> (publicKey: [UInt8], preMaster: [UInt8]) {
        guard let key = EphemeralKey(group) else {
            throw TLSClientError(.unsupportedParameters, "the server chose the curve \(group), which we cannot compute")
        }
        return (key.publicBytes, try key.sharedSecret(with: serverPoint))
    }
}
