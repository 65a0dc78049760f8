import Crypto
import NIOCore
import TLSReport
import TLSWire

/// One direction of TLS 1.3 record protection (RFC 8446 §5.2) under one traffic secret.
///
/// Every protected record is an application_data record (legacy version 0x0303) whose plaintext is
/// TLSInnerPlaintext: content, the real content type, zero padding. The nonce is the IV XOR the
/// 64-bit sequence number (left-padded to the IV length, §5.3); the additional data is the record header.
struct TLS13RecordProtection: Sendable {
    static let ivLength = 12
    static let tagLength = 16
    /// §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256.
    static let maxCiphertextLength = (1 << 14) + 256

    private let aead: TLS13AEAD
    private let key: SymmetricKey
    private let iv: [UInt8]
    private(set) var sequence: UInt64 = 0

    init(_ parameters: TLS13SuiteParameters, secret: [UInt8]) {
        let keys = TLS13KeySchedule.trafficKeys(parameters, secret: secret)
        self.init(aead: parameters.aead, key: keys.key, iv: keys.iv)
    }

    init(aead: TLS13AEAD, key: [UInt8], iv: [UInt8]) {
        precondition(iv.count == Self.ivLength, "TLS 1.3 IVs are 12 bytes")
        self.aead = aead
        self.key = SymmetricKey(data: key)
        self.iv = iv
    }

    /// §5.3: the per-record nonce.
    private func nonce() -> [UInt8] {
        var n = iv
        for i in 0..<8 { n[Self.ivLength - 1 - i] ^= UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i))) }
        return n
    }

    private static func header(_ type: ContentType, _ version: ProtocolVersion, _ length: Int) -> [UInt8] {
        [type.rawValue, UInt8(version.rawValue >> 8), UInt8(version.rawValue & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)]
    }

    /// Encrypts one record's content (at most 2^14 bytes) as `type`.
    mutating func seal(_ type: ContentType, _ content: [UInt8]) throws -> TLSRecord {
        precondition(content.count <= 1 << 14, "plaintext longer than a record")
        let inner = content + [type.rawValue]
        let aad = Self.header(.applicationData, .tls12, inner.count + Self.tagLength)
        var fragment = ByteBuffer()
        switch aead {
        case .aesGCM:
            let box = try AES.GCM.seal(inner, using: key, nonce: AES.GCM.Nonce(data: nonce()), authenticating: aad)
            fragment.writeBytes(box.ciphertext)
            fragment.writeBytes(box.tag)
        case .chaChaPoly:
            let box = try ChaChaPoly.seal(inner, using: key, nonce: ChaChaPoly.Nonce(data: nonce()), authenticating: aad)
            fragment.writeBytes(box.ciphertext)
            fragment.writeBytes(box.tag)
        }
        sequence += 1
        return TLSRecord(contentType: .applicationData, version: .tls12, fragment: fragment)
    }

    /// Decrypts one protected record; returns the real content type and the content.
    /// Throws `TLSClientError` `.badRecordMAC` when it does not authenticate, `.malformed` for a
    /// record §5.2 and §5.4 forbid.
    mutating func open(_ record: TLSRecord) throws -> (ContentType, [UInt8]) {
        let length = record.fragment.readableBytes
        guard record.contentType == .applicationData else {
            throw TLSClientError(.unexpectedMessage, "a \(record.contentType) record in clear after the keys changed")
        }
        guard length <= Self.maxCiphertextLength else {
            throw TLSClientError(.malformed, "a protected record of \(length) bytes (at most 2^14 + 256 allowed)")
        }
        guard length > Self.tagLength else {
            throw TLSClientError(.badRecordMAC, "a \(length)-byte protected record is too short to hold a tag and a content type")
        }
        let bytes = Array(record.fragment.readableBytesView)
        let ciphertext = bytes[..<(length - Self.tagLength)]
        let tag = bytes[(length - Self.tagLength)...]
        let aad = Self.header(record.contentType, record.version, length)
        var inner: [UInt8]
        do {
            switch aead {
            case .aesGCM:
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce()), ciphertext: ciphertext, tag: tag)
                inner = Array(try AES.GCM.open(box, using: key, authenticating: aad))
            case .chaChaPoly:
                let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce()), ciphertext: ciphertext, tag: tag)
                inner = Array(try ChaChaPoly.open(box, using: key, authenticating: aad))
            }
        } catch {
            throw TLSClientError(.badRecordMAC, "a protected record (sequence \(sequence)) does not decrypt with the derived keys")
        }
        sequence += 1
        // §5.4: the content type is the last non-zero byte; all zeros is unexpected_message.
        guard let last = inner.lastIndex(where: { $0 != 0 }) else {
            throw TLSClientError(.unexpectedMessage, "a protected record with no content type (all padding)")
        }
        let type = ContentType(inner[last])
        inner.removeSubrange(last...)
        guard inner.count <= 1 << 14 else {
            throw TLSClientError(.malformed, "a protected record with \(inner.count) bytes of content (at most 2^14 allowed)")
        }
        return (type, inner)
    }
}
