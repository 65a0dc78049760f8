import _CryptoExtras
import Crypto
import Foundation
import NIOCore
import TLSReport
import TLSWire

/// One direction of AES-CBC record protection with HMAC, MAC-then-encrypt (RFC 5246 §6.2.3.2,
/// RFC 2246 §6.2.3.2). Encrypt-then-MAC (RFC 7366) is never offered, so never negotiated.
///
/// TLS 1.0 chains records: a record's IV is the last ciphertext block of the one before, the first
/// comes from the key block (RFC 2246 §6.2.3.2). TLS 1.1 and later send a fresh IV in front of
/// every record (RFC 4346 §6.2.3.2); ours are random.
///
/// The padding and MAC checks are not constant-time: this is a client reading a server's answer,
/// not a server that could be made a padding oracle.
struct TLSCBCRecordProtection: Sendable {
    static let blockSize = 16

    private let key: SymmetricKey
    private let macKey: [UInt8]
    private let mac: MACAlgorithm
    /// TLS 1.0's chained IV; nil from TLS 1.1 on (explicit IVs).
    private var chainedIV: [UInt8]?
    private(set) var sequence: UInt64 = 0

    init(key: [UInt8], macKey: [UInt8], mac: MACAlgorithm, version: ProtocolVersion, iv: [UInt8]) {
        precondition(iv.count == Self.blockSize, "the CBC IV is one block")
        self.key = SymmetricKey(data: key)
        self.macKey = macKey
        self.mac = mac
        self.chainedIV = version <= .tls10 ? iv : nil
    }

    /// RFC 5246 §6.2.3.1: MAC(MAC_write_key, seq_num + type + version + length + content).
    private func tag(_ seq: UInt64, _ type: ContentType, _ version: ProtocolVersion, _ content: some Collection<UInt8>) -> [UInt8] {
        var b = ByteBuffer()
        b.writeInteger(seq)
        b.writeInteger(type.rawValue)
        b.writeInteger(version.rawValue)
        b.writeInteger(UInt16(content.count))
        b.writeBytes(content)
        return mac.mac(key: macKey, Array(b.readableBytesView))
    }

    /// Encrypts one record's plaintext (at most 2^14 bytes).
    mutating func seal(_ type: ContentType, version: ProtocolVersion, plaintext: [UInt8]) throws -> TLSRecord {
        precondition(plaintext.count <= 1 << 14, "plaintext longer than a record")
        var block = plaintext + tag(sequence, type, version, plaintext)
        // RFC 5246 §6.2.3.2: padding_length + 1 bytes, each of value padding_length, fill the last block.
        let padding = Self.blockSize - 1 - block.count % Self.blockSize
        block += [UInt8](repeating: UInt8(padding), count: padding + 1)
        var fragment = ByteBuffer()
        let iv: [UInt8]
        if let chained = chainedIV {
            iv = chained
        } else {
            var rng = SystemRandomNumberGenerator()
            iv = (0..<Self.blockSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
            fragment.writeBytes(iv)
        }
        let ciphertext = Array(try AES._CBC.encrypt(block, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
        if chainedIV != nil { chainedIV = Array(ciphertext.suffix(Self.blockSize)) }
        fragment.writeBytes(ciphertext)
        sequence += 1
        return TLSRecord(contentType: type, version: version, fragment: fragment)
    }

    /// Decrypts one record, checks its padding and MAC. Throws `TLSClientError` `.badRecordMAC` on any failure.
    mutating func open(_ record: TLSRecord) throws -> [UInt8] {
        let bytes = Array(record.fragment.readableBytesView)
        let explicit = chainedIV == nil
        // The smallest record: the IV (TLS 1.1+), then the MAC and at least one padding byte in whole blocks.
        let smallest = (explicit ? Self.blockSize : 0) + (mac.length / Self.blockSize + 1) * Self.blockSize
        guard bytes.count % Self.blockSize == 0, bytes.count >= smallest else {
            throw TLSClientError(.badRecordMAC, "a \(bytes.count)-byte CBC record is not a whole number of blocks holding a MAC")
        }
        let iv = explicit ? Array(bytes.prefix(Self.blockSize)) : chainedIV!
        let ciphertext = explicit ? Array(bytes.dropFirst(Self.blockSize)) : bytes
        let plain: [UInt8]
        do {
            plain = Array(try AES._CBC.decrypt(ciphertext, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
        } catch {
            throw TLSClientError(.badRecordMAC, "a \(record.contentType) record (sequence \(sequence)) does not decrypt")
        }
        if !explicit { chainedIV = Array(ciphertext.suffix(Self.blockSize)) }
        let padding = Int(plain[plain.count - 1])
        guard padding + 1 + mac.length <= plain.count,
              plain.suffix(padding + 1).allSatisfy({ $0 == UInt8(padding) }) else {
            throw TLSClientError(.badRecordMAC, "a \(record.contentType) record (sequence \(sequence)) has bad CBC padding under the derived keys")
        }
        let contentEnd = plain.count - padding - 1 - mac.length
        let content = plain[0..<contentEnd]
        guard content.count <= 1 << 14 else { throw TLSClientError(.badRecordMAC, "plaintext of \(content.count) bytes exceeds 2^14") }
        guard plain[contentEnd..<contentEnd + mac.length].elementsEqual(tag(sequence, record.contentType, record.version, content)) else {
            throw TLSClientError(.badRecordMAC, "a \(record.contentType) record (sequence \(sequence)) does not verify with the derived MAC key")
        }
        sequence += 1
        return Array(content)
    }
}

/// The record protection of a connection of our TLS 1.0–1.2 client: AES-GCM or AES-CBC.
enum TLS12RecordCipher: Sendable {
    case gcm(TLS12RecordProtection)
    case cbc(TLSCBCRecordProtection)

    mutating func seal(_ type: ContentType, version: ProtocolVersion, plaintext: [UInt8]) throws -> TLSRecord {
        switch self {
        case .gcm(var p):
            defer { self = .gcm(p) }
            return try p.seal(type, version: version, plaintext: plaintext)
        case .cbc(var p):
            defer { self = .cbc(p) }
            return try p.seal(type, version: version, plaintext: plaintext)
        }
    }

    mutating func open(_ record: TLSRecord) throws -> [UInt8] {
        switch self {
        case .gcm(var p):
            defer { self = .gcm(p) }
            return try p.open(record)
        case .cbc(var p):
            defer { self = .cbc(p) }
            return try p.open(record)
        }
    }

    /// Both directions for `params` in `version`: (what we write, what we read).
    static func pair(_ params: TLS12SuiteParameters, version: ProtocolVersion, keys k: TLS12KeySchedule.CipherKeys)
        -> (write: TLS12RecordCipher, read: TLS12RecordCipher) {
        switch params.cipher {
        case .aesGCM:
            return (.gcm(TLS12RecordProtection(key: k.clientKey, salt: k.clientIV)), .gcm(TLS12RecordProtection(key: k.serverKey, salt: k.serverIV)))
        case .aesCBC(let mac):
            return (.cbc(TLSCBCRecordProtection(key: k.clientKey, macKey: k.clientMAC, mac: mac, version: version, iv: k.clientIV)),
                    .cbc(TLSCBCRecordProtection(key: k.serverKey, macKey: k.serverMAC, mac: mac, version: version, iv: k.serverIV)))
        }
    }
}
