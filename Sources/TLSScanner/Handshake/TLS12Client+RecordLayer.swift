import Crypto
import Foundation
import NIOCore
import TLSReport
import TLSWire

/// One direction of AES-GCM record protection (RFC 5288 §3, RFC 5246 §6.2.3.3).
///
/// The nonce is the 4-byte implicit salt from the key block followed by an 8-byte explicit part
/// carried in the record; we send the sequence number there, as most stacks do. The additional
/// data is seq_num + type + version + plaintext length.
struct TLS12RecordProtection: Sendable {
    private let key: SymmetricKey
    private let salt: [UInt8]
    private(set) var sequence: UInt64 = 0

    static let explicitNonceLength = 8
    static let tagLength = 16

    init(key: [UInt8], salt: [UInt8]) {
        precondition(salt.count == 4, "GCM implicit nonce is 4 bytes")
        self.key = SymmetricKey(data: key)
        self.salt = salt
    }

    private static func additionalData(_ seq: UInt64, _ type: ContentType, _ version: ProtocolVersion, _ length: Int) -> [UInt8] {
        var b = ByteBuffer()
        b.writeInteger(seq)
        b.writeInteger(type.rawValue)
        b.writeInteger(version.rawValue)
        b.writeInteger(UInt16(length))
        return Array(b.readableBytesView)
    }

    /// Encrypts one record's plaintext (at most 2^14 bytes).
    mutating func seal(_ type: ContentType, version: ProtocolVersion = .tls12, plaintext: [UInt8]) throws -> TLSRecord {
        precondition(plaintext.count <= 1 << 14, "plaintext longer than a record")
        var explicit = ByteBuffer()
        explicit.writeInteger(sequence)
        let explicitBytes = Array(explicit.readableBytesView)
        let nonce = try AES.GCM.Nonce(data: salt + explicitBytes)
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce,
                                   authenticating: Self.additionalData(sequence, type, version, plaintext.count))
        sequence += 1
        var fragment = ByteBuffer()
        fragment.writeBytes(explicitBytes)
        fragment.writeBytes(box.ciphertext)
        fragment.writeBytes(box.tag)
        return TLSRecord(contentType: type, version: version, fragment: fragment)
    }

    /// Decrypts and authenticates one record. Throws `TLSClientError` `.badRecordMAC` on any failure.
    mutating func open(_ record: TLSRecord) throws -> [UInt8] {
        var f = record.fragment
        let overhead = Self.explicitNonceLength + Self.tagLength
        guard f.readableBytes >= overhead else {
            throw TLSClientError(.badRecordMAC, "a \(f.readableBytes)-byte protected record is shorter than nonce and tag")
        }
        let length = f.readableBytes - overhead
        // RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048; plaintext ≤ 2^14.
        guard length <= 1 << 14 else { throw TLSClientError(.badRecordMAC, "plaintext of \(length) bytes exceeds 2^14") }
        let explicit = f.readBytes(length: Self.explicitNonceLength)!
        let ciphertext = f.readBytes(length: length)!
        let tag = f.readBytes(length: Self.tagLength)!
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: salt + explicit), ciphertext: ciphertext, tag: tag)
            let plain = try AES.GCM.open(box, using: key,
                                         authenticating: Self.additionalData(sequence, record.contentType, record.version, length))
            sequence += 1
            return Array(plain)
        } catch {
            throw TLSClientError(.badRecordMAC, "a \(record.contentType) record (sequence \(sequence)) does not decrypt with the derived keys")
        }
    }
}
