import NIOCore

/// Framing shared by everything that writes handshake messages: the TLS 1.2 and 1.3 clients'
/// flights, the ROBOT probe's ClientKeyExchange, a parsed message's original bytes.
extension HandshakeMessage {
    /// `type`, a 24-bit length and the body `body` writes (RFC 8446 §4, RFC 5246 §7.4).
    public static func framed(_ type: HandshakeType, _ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(type.rawValue)
        b.writeTLSVector(.three, body)
        return b
    }
}

extension ClientHello {
    /// RFC 7685 §1 and the F5 bug it cites: a ClientHello whose handshake message is 256–511 bytes
    /// long hangs some servers, so one in that range gets a padding extension that takes it to
    /// 512. `reserving` counts extension bytes still to be appended after the padding (TLS 1.3's
    /// pre_shared_key, which must come last: RFC 8446 §4.2.11).
    public mutating func padForF5(reserving: Int = 0) {
        let length = handshakeBytes.readableBytes + reserving
        if length > 0xFF && length < 0x200 {
            extensions.append(TLSExtension(type: .padding, data: [UInt8](repeating: 0, count: max(0x200 - length - 4, 1))))
        }
    }
}
