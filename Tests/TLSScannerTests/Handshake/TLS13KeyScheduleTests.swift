import Crypto
import NIOCore
import Testing
import TLSReport
@testable import TLSScanner
import TLSWire

/// RFC 8448 (Example Handshake Traces for TLS 1.3): the inputs of §3 "Simple 1-RTT Handshake" and
/// §4 "Resumed 0-RTT Handshake" through our key schedule, compared with the trace's values.
@Suite("TLS 1.3 key schedule (RFC 8448)")
struct TLS13KeyScheduleTests {
    static func hex(_ s: String) -> [UInt8] { [UInt8](hexString: s)! }
    static let h = TLSHash.sha256
    static let aes128 = TLS13SuiteParameters.forSuite(CipherSuite(0x1301))!

    // §3: the handshake messages (with their 4-byte headers), as the trace prints them.
    static let clientHello = hex("""
        010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece700000613011303130201
        0000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400
        230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b00
        03020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c
        00024001
        """)
    static let serverHello = hex("""
        020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024
        001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304
        """)
    static let encryptedExtensions = hex("""
        080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000
        """)
    static let certificate = hex("""
        0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a
        06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a
        0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d98
        0836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced4312
        0998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d0
        3e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b060355
        1d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f
        8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102
        702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8
        f8961229ac9187b42b4de10000
        """)
    static let certificateVerify = hex("""
        0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d3
        3a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c
        9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3
        """)
    static let serverFinished = hex("""
        140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718
        """)

    // §4: the resumed ClientHello (binders last) and the NewSessionTicket of the first connection.
    static let resumedClientHello = hex("""
        010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d9500000613011303130201
        0001cd0000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400
        3300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4f18d668f0b002a0000002b00
        03020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c
        000240010015005700000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        2900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c936
        7c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3
        664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf2
        97b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb002120
        3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d
        """)
    static let newSessionTicket = hex("""
        040000c90000001efad6aac502000000b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf
        1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827
        db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228
        bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934a
        e4d3570008002a000400000400
        """)

    @Test func simpleOneRTTHandshake() throws {
        let h = Self.h
        // {client} and {server} create an ephemeral x25519 key pair; the shared secret is the IKM.
        let client = try Curve25519.KeyAgreement.PrivateKey(
            rawRepresentation: Self.hex("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005"))
        #expect(Array(client.publicKey.rawRepresentation).hexString == "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c")
        let sh = try ServerHello(parsingBody: ByteBuffer(bytes: Self.serverHello.dropFirst(4)))
        let serverShare = try #require(try sh.extensions.serverKeyShare())
        let key = EphemeralKey.x25519(client)
        let ikm = try key.sharedSecret(with: serverShare.keyExchange)
        #expect(ikm.hexString == "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d")

        // {server} extract secret "early", derive secret "tls13 derived", extract secret "handshake".
        let early = TLS13KeySchedule.earlySecret(h, psk: nil)
        #expect(early.hexString == "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a")
        let derived = TLS13KeySchedule.deriveSecret(h, secret: early, label: "derived", transcript: [])
        #expect(derived.hexString == "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba")
        let handshake = TLS13KeySchedule.handshakeSecret(h, earlySecret: early, sharedSecret: ikm)
        #expect(handshake.hexString == "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac")

        // "tls13 c hs traffic" and "tls13 s hs traffic" over ClientHello..ServerHello.
        let helloTranscript = Self.clientHello + Self.serverHello
        #expect(h.hash(helloTranscript).hexString == "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8")
        let cHS = TLS13KeySchedule.deriveSecret(h, secret: handshake, label: "c hs traffic", transcript: helloTranscript)
        let sHS = TLS13KeySchedule.deriveSecret(h, secret: handshake, label: "s hs traffic", transcript: helloTranscript)
        #expect(cHS.hexString == "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21")
        #expect(sHS.hexString == "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
        let serverHSKeys = TLS13KeySchedule.trafficKeys(Self.aes128, secret: sHS)
        #expect(serverHSKeys.key.hexString == "3fce516009c21727d0f2e4e86ee403bc")
        #expect(serverHSKeys.iv.hexString == "5d313eb2671276ee13000b30")
        let clientHSKeys = TLS13KeySchedule.trafficKeys(Self.aes128, secret: cHS)
        #expect(clientHSKeys.key.hexString == "dbfaa693d1762c5b666af5d950258d01")
        #expect(clientHSKeys.iv.hexString == "5bd3c71b836e0b76bb73265f")

        // "master", the server's Finished over ClientHello..CertificateVerify.
        let master = TLS13KeySchedule.masterSecret(h, handshakeSecret: handshake)
        #expect(master.hexString == "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919")
        let beforeFinished = helloTranscript + Self.encryptedExtensions + Self.certificate + Self.certificateVerify
        let serverVerify = TLS13KeySchedule.verifyData(h, baseKey: sHS, transcript: beforeFinished)
        #expect(serverVerify.hexString == "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718")
        #expect(Array(Self.serverFinished.dropFirst(4)) == serverVerify)

        // Application traffic secrets and keys over ClientHello..server Finished.
        let throughServerFinished = beforeFinished + Self.serverFinished
        let cAP = TLS13KeySchedule.deriveSecret(h, secret: master, label: "c ap traffic", transcript: throughServerFinished)
        let sAP = TLS13KeySchedule.deriveSecret(h, secret: master, label: "s ap traffic", transcript: throughServerFinished)
        #expect(cAP.hexString == "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5")
        #expect(sAP.hexString == "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643")
        let serverAPKeys = TLS13KeySchedule.trafficKeys(Self.aes128, secret: sAP)
        #expect(serverAPKeys.key.hexString == "9f02283b6c9c07efc26bb9f2ac92e356")
        #expect(serverAPKeys.iv.hexString == "cf782b88dd83549aadf1e984")
        let clientAPKeys = TLS13KeySchedule.trafficKeys(Self.aes128, secret: cAP)
        #expect(clientAPKeys.key.hexString == "17422dda596ed5d9acd890e3c63f5051")
        #expect(clientAPKeys.iv.hexString == "5b78923dee08579033e523d9")

        // The client's Finished, then "tls13 res master" over ClientHello..client Finished.
        let clientVerify = TLS13KeySchedule.verifyData(h, baseKey: cHS, transcript: throughServerFinished)
        #expect(clientVerify.hexString == "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61")
        let clientFinished = TLS13ClientStateMachine.handshake(.finished) { $0.writeBytes(clientVerify) }
        let rms = TLS13KeySchedule.deriveSecret(h, secret: master, label: "res master", transcript: throughServerFinished + clientFinished)
        #expect(rms.hexString == "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c")
    }

    @Test func resumedZeroRTTTicketPSKAndBinder() throws {
        let h = Self.h
        // §4: the NewSessionTicket of the first connection, and the PSK it stands for.
        let nst = try NewSessionTicket13(parsingBody: ByteBuffer(bytes: Self.newSessionTicket.dropFirst(4)))
        #expect(nst.lifetime == 30)
        #expect(nst.ageAdd == 0xFAD6_AAC5)
        #expect(nst.nonce == [0, 0])
        #expect(nst.ticket.count == 178)
        #expect(try nst.maxEarlyDataSize() == 1024)
        let rms = Self.hex("7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c")
        let psk = TLS13KeySchedule.resumptionPSK(h, resumptionMasterSecret: rms, nonce: nst.nonce)
        #expect(psk.hexString == "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3")
        let early = TLS13KeySchedule.earlySecret(h, psk: psk)
        #expect(early.hexString == "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c")

        // The binder: HMAC over the ClientHello up to its binders list (2 + 1 + 32 bytes at the end).
        let binderKey = TLS13KeySchedule.resumptionBinderKey(h, earlySecret: early)
        #expect(binderKey.hexString == "69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256")
        let truncated = Array(Self.resumedClientHello.dropLast(35))
        #expect(truncated.count == 477)
        let binder = TLS13KeySchedule.verifyData(h, baseKey: binderKey, transcript: truncated)
        #expect(binder.hexString == "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d")
        #expect(Array(Self.resumedClientHello.suffix(32)) == binder)
        // The hello itself parses, with pre_shared_key last and early_data offered.
        let hello = try ClientHello(parsingBody: ByteBuffer(bytes: Self.resumedClientHello.dropFirst(4)))
        #expect(hello.extensions.last?.type == .preSharedKey)
        #expect(hello.extensions.contains(.earlyData))
    }

    @Test(arguments: TLS13SuiteParameters.all)
    func recordProtectionRoundTrip(_ p: TLS13SuiteParameters) throws {
        let secret = [UInt8](repeating: 0x42, count: p.hash.length)
        var sender = TLS13RecordProtection(p, secret: secret)
        var receiver = TLS13RecordProtection(p, secret: secret)
        for text in [[UInt8](), Array("hello".utf8), [UInt8](repeating: 0xAB, count: 1 << 14)] {
            let record = try sender.seal(.handshake, text)
            // §5.2: an application_data record of content + type + 16-byte tag.
            #expect(record.contentType == .applicationData)
            #expect(record.version == .tls12)
            #expect(record.fragment.readableBytes == text.count + 1 + 16)
            let (type, content) = try receiver.open(record)
            #expect(type == .handshake)
            #expect(content == text)
        }
        #expect(receiver.sequence == 3)
    }

    @Test func tamperedReorderedOrPaddingOnlyRecordsDoNotOpen() throws {
        let p = Self.aes128
        var sender = TLS13RecordProtection(p, secret: [UInt8](repeating: 7, count: 32))
        let first = try sender.seal(.applicationData, Array("one".utf8))
        let second = try sender.seal(.applicationData, Array("two".utf8))
        var receiver = TLS13RecordProtection(p, secret: [UInt8](repeating: 7, count: 32))
        // The sequence number is in the nonce.
        #expect(throws: TLSClientError.self) { try receiver.open(second) }
        var tampered = first
        tampered.fragment.setInteger(UInt8(0xFF), at: tampered.fragment.readerIndex)
        #expect(throws: TLSClientError.self) { try receiver.open(tampered) }
        // The header is the additional data.
        var relabelled = first
        relabelled.version = .tls10
        #expect(throws: TLSClientError.self) { try receiver.open(relabelled) }
        var short = first
        short.fragment = ByteBuffer(bytes: [UInt8](repeating: 0, count: 16))
        #expect(throws: TLSClientError.self) { try receiver.open(short) }
        #expect(try receiver.open(first).1 == Array("one".utf8))
        // §5.4: an inner plaintext of zeros only has no content type.
        let key = TLS13KeySchedule.trafficKeys(p, secret: [UInt8](repeating: 9, count: 32))
        let nonce = try AES.GCM.Nonce(data: key.iv)
        let aad: [UInt8] = [23, 3, 3, 0, 20]
        let box = try AES.GCM.seal([0, 0, 0, 0], using: SymmetricKey(data: key.key), nonce: nonce, authenticating: aad)
        var zeros = TLS13RecordProtection(p, secret: [UInt8](repeating: 9, count: 32))
        let record = TLSRecord(contentType: .applicationData, version: .tls12, fragment: ByteBuffer(bytes: Array(box.ciphertext) + Array(box.tag)))
        #expect(throws: TLSClientError.self) { try zeros.open(record) }
    }
}
