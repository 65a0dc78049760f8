import BigInt
import Foundation
import NIOCore
import TLSReport
import TLSWire

/// ROBOT: the Return Of Bleichenbacher's Oracle Threat (Böck, Somorovsky, Young, USENIX Security
/// 2018; CVE-2017-13099 and vendor CVEs). A server that answers an RSA ClientKeyExchange
/// differently depending on whether its PKCS#1 v1.5 padding (RFC 8017 §7.2.2) is valid lets an
/// attacker decrypt recorded sessions or sign with the server's key.
///
/// The probe does what the paper's test does: five ClientKeyExchange messages, each encrypted
/// with the server's own RSA key (so only the server can see the padding), each followed by a
/// ChangeCipherSpec and a Finished the server cannot verify:
///
/// 1. a correctly formatted premaster secret (`00 02 PS 00 03 03 …`),
/// 2. wrong first two bytes (`41 17` instead of `00 02`),
/// 3. a `00` separator in the wrong place (the premaster secret comes out the wrong length),
/// 4. no `00` separator at all,
/// 5. a wrong version in the premaster secret (`02 02`).
///
/// A patched server answers all five the same way (RFC 5246 §7.4.7.1: carry on with a random
/// premaster secret and fail at Finished). Different answers (another alert, a close instead of an
/// alert, a timeout) are an oracle. The five are sent twice; answers that differ between the
/// rounds make the result inconclusive rather than vulnerable. Ten connections, with `--robot` only.
struct RobotCheck: ScanCheck {
    static let step = ScanStep.robot
    var protocols: [ProtocolResult]
    var enabled: Bool

    enum RobotVariant: Int, CaseIterable, Sendable {
        case correct, wrongFirstBytes, zeroInWrongPlace, noZeroSeparator, wrongVersion

        var label: String {
            switch self {
            case .correct: "correct padding"
            case .wrongFirstBytes: "wrong first bytes"
            case .zeroInWrongPlace: "0x00 in the wrong place"
            case .noZeroSeparator: "no 0x00 separator"
            case .wrongVersion: "wrong version in the premaster secret"
            }
        }
    }

    func run(_ probes: ProbeSession) async -> Finding {
        var f = Finding(.robot)
        guard enabled else {
            f.check = .notRun("off by default: it sends ten RSA handshakes with crafted padding (--robot)")
            return f
        }
        // The best version below TLS 1.3 with RSA key-exchange suites.
        let rsa = ProtocolVersion.scanned.reversed().filter { $0 >= .tls10 && $0 <= .tls12 }.compactMap { v -> (ProtocolVersion, [CipherSuite])? in
            let suites = protocols.acceptedSuites(v).filter { $0.info?.keyExchange == .rsa }
            return suites.isEmpty ? nil : (v, suites)
        }.first
        guard let (version, suites) = rsa else {
            f.check = .notApplicable("no RSA key-exchange suite is accepted")
            f.seen = false
            f.evidence = "the server accepts no RSA key-exchange suite, so it has no RSA decryption to leak"
            return f
        }
        let listen = min(probes.options.readTimeout, .seconds(3))
        var rounds: [[String]] = []
        for _ in 0..<2 {
            let answers = await withTaskGroup(of: (Int, String).self) { group in
                for variant in RobotVariant.allCases {
                    group.addTask {
                        let followUp = FollowUp(listenFor: listen) { flight in
                            Self.robotClientFlight(variant, flight: flight, version: version)
                        }
                        let c = await probes.converse(probes.hello(version, suites: suites), stopAt: .serverHelloDone, followUp: followUp)
                        return (variant.rawValue, Self.describeRobotAnswer(c, probes))
                    }
                }
                var out = [String](repeating: "", count: RobotVariant.allCases.count)
                for await (i, answer) in group { out[i] = answer }
                return out
            }
            rounds.append(answers)
        }
        if let failed = rounds[0].first(where: { $0.hasPrefix("!") }) {
            f.check = .error("the \(version.displayName) RSA handshake failed: \(failed.dropFirst())")
            return f
        }
        let labelled = zip(RobotVariant.allCases, rounds[0]).map { "\($0.label): \($1)" }
        if rounds[0] != rounds[1] {
            f.check = .error("inconclusive: the server answered the same messages differently twice ("
                + zip(rounds[0], rounds[1]).enumerated().filter { $1.0 != $1.1 }.map { "\(RobotVariant(rawValue: $0)!.label): \($1.0) / \($1.1)" }.joined(separator: "; ") + ")")
            return f
        }
        if Set(rounds[0]).count == 1 {
            f.seen = false
            f.evidence = "all five ClientKeyExchange variants over \(version.displayName) got the same answer (\(rounds[0][0])), twice"
        } else {
            f.seen = true
            // A strong oracle tells valid-looking padding (1, 5) from invalid (2–4) by itself.
            let strong = rounds[0][0] != rounds[0][1] && rounds[0][0] == rounds[0][4]
            f.evidence = "\(strong ? "strong" : "weak") oracle over \(version.displayName), the same twice: " + labelled.joined(separator: "; ")
        }
        return f
    }

    /// One answer, in words; a leading `!` marks a handshake that never reached ServerHelloDone.
    private static func describeRobotAnswer(_ c: Conversation, _ probes: ProbeSession) -> String {
        guard let flight = c.outcome.flight, flight.serverHelloDone, let reply = c.reply else {
            return "!" + probes.describe(c.outcome)
        }
        var parts: [String] = []
        if let alert = reply.alerts.first { parts.append("alert \(alert.alertDescription.name)") }
        let encrypted = reply.records.filter { $0.contentType == .alert && $0.length != 2 }.count
        if encrypted > 0 { parts.append("\(encrypted) encrypted alert record(s)") }
        if reply.closed { parts.append("closed") }
        if reply.timedOut { parts.append("no answer") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }

    /// ClientKeyExchange with the variant's encrypted block, ChangeCipherSpec and a Finished the
    /// server cannot verify, as records; nil when the certificate has no RSA key.
    static func robotClientFlight(_ variant: RobotVariant, flight: ServerFlight, version: ProtocolVersion) -> ByteBuffer? {
        guard let der = flight.certificate?.certificates.first,
              let key = try? DecodedCertificate(der: der).rsaPublicKey,
              let encrypted = robotCiphertext(variant, modulus: key.modulus, exponent: key.exponent, version: version)
        else { return nil }
        var out = ByteBuffer()
        // RFC 5246 §7.4.7.1: EncryptedPreMasterSecret is opaque<0..2^16-1>.
        let handshake = HandshakeMessage.framed(.clientKeyExchange) { b in b.writeTLSVector(.two) { $0.writeBytes(encrypted) } }
        TLSRecord(contentType: .handshake, version: version, fragment: handshake).write(to: &out)
        TLSRecord(contentType: .changeCipherSpec, version: version, fragment: ByteBuffer(bytes: [1])).write(to: &out)
        // "Encrypted" Finished: any 64 bytes; the keys it would need come from the premaster secret.
        TLSRecord(contentType: .handshake, version: version, fragment: ByteBuffer(bytes: (0..<64).map { _ in UInt8.random(in: 0...255) })).write(to: &out)
        return out
    }

    /// The variant's PKCS#1 v1.5 block, encrypted with the raw RSA operation m^e mod n.
    static func robotCiphertext(_ variant: RobotVariant, modulus: [UInt8], exponent: [UInt8], version: ProtocolVersion) -> [UInt8]? {
        let k = modulus.count
        guard k >= 64 else { return nil }
        var premaster = [version.major, version.minor] + (0..<46).map { _ in UInt8.random(in: 0...255) }
        if variant == .wrongVersion { premaster[0] = 0x02; premaster[1] = 0x02 }
        let padding = (0..<(k - 3 - premaster.count)).map { _ in UInt8.random(in: 1...255) }
        var block: [UInt8] = [0x00, 0x02] + padding + [0x00] + premaster
        switch variant {
        case .correct, .wrongVersion:
            break
        case .wrongFirstBytes:
            block[0] = 0x41
            block[1] = 0x17
        case .zeroInWrongPlace:
            // The separator moves 10 bytes earlier: the "premaster secret" would be 58 bytes long.
            block[2 + padding.count] = 0x01
            block[2 + padding.count - 10] = 0x00
        case .noZeroSeparator:
            block[2 + padding.count] = 0x01
            for i in (2 + padding.count + 1)..<block.count where block[i] == 0 { block[i] = 0x01 }
        }
        let m = BigUInt(Data(block))
        let n = BigUInt(Data(modulus))
        guard m < n else { return nil }
        let c = m.power(BigUInt(Data(exponent)), modulus: n).serialize()
        return [UInt8](repeating: 0, count: k - c.count) + [UInt8](c)
    }
}
