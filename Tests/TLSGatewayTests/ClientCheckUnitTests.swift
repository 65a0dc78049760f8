import Foundation
import NIOCore
import NIOSSL
import Testing
@testable import TLSGateway
import TLSPolicy
import TLSWire
@testable import TestSupport

/// The client check's pure parts: How's My SSL rules, routing, the handshake simulator, history.
@Suite("Client check rules and parts")
struct ClientCheckUnitTests {
    let tdes = CipherSuite(0x000A)  // TLS_RSA_WITH_3DES_EDE_CBC_SHA
    let aes = CipherSuite(0x002F)  // TLS_RSA_WITH_AES_128_CBC_SHA
    let tls13 = CipherSuite(0x1301)

    /// A swift-nio-ssl server context on the test RSA certificate (BoringSSL's defaults otherwise).
    static func serverContext(minimum: TLSVersion? = nil) throws -> NIOSSLContext {
        let cert = try TestCertificate.rsa()
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(cert.certPath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: cert.keyPath, format: .pem)))
        if let minimum { config.minimumTLSVersion = minimum }
        return try NIOSSLContext(configuration: config)
    }

    @Test("insecure reasons: 3DES only when something real follows it; RC4, NULL, anon, export, FIPS; SCSV and GREASE none")
    func insecureReasons() {
        let flagged = HowsMySSLRules.insecureReasons([tdes, aes])
        #expect(flagged[tdes] == [HowsMySSLRules.sweet32])
        #expect(HowsMySSLRules.insecureReasons([aes, tdes]).isEmpty)
        #expect(HowsMySSLRules.insecureReasons([tdes, .emptyRenegotiationInfoSCSV, tls13]).isEmpty)
        let rc4 = CipherSuite(0x0005), null = CipherSuite(0x0002), anon = CipherSuite(0x0034), export = CipherSuite(0x0003)
        let all = HowsMySSLRules.insecureReasons([rc4, null, anon, export, CipherSuite(0xFEFF), CipherSuite(0x0A0A), .emptyRenegotiationInfoSCSV])
        #expect(all[rc4] == [HowsMySSLRules.rc4])
        #expect(all[null] == [HowsMySSLRules.noEncryption])
        #expect(all[anon] == [HowsMySSLRules.anonymous])
        #expect(all[export] == [HowsMySSLRules.rc4, HowsMySSLRules.smallKeys])
        #expect(all[CipherSuite(0xFEFF)] == [HowsMySSLRules.sslv3FIPS])
        #expect(all.count == 5)
        #expect(HowsMySSLRules.name(CipherSuite(0x0A0A)) == "Some unknown cipher suite: 0x0a0a")
        #expect(HowsMySSLRules.name(CipherSuite(0x1301)) == "TLS_AES_128_GCM_SHA256")
    }

    @Test("rating: classic rules, then How's My SSL's dated downrank on 2026-06-14 and 2026-12-14")
    func rating() {
        func facts(_ v: ProtocolVersion, pq: Bool = true, ephemeral: Bool = true, insecure: Bool = false) -> HowsMySSLRules.Facts {
            .init(version: v, ephemeral: ephemeral, compression: false, unknownSuite: false, beast: false, insecureSuites: insecure, postQuantum: pq)
        }
        let early = Date(timeIntervalSince1970: 1_770_000_000)  // 2026-02
        let middle = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09
        let late = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01
        #expect(HowsMySSLRules.rating(facts(.tls12, pq: false), now: early).rating == "Probably Okay")
        #expect(HowsMySSLRules.rating(facts(.tls11), now: early).rating == "Improvable")
        #expect(HowsMySSLRules.rating(facts(.tls12, ephemeral: false), now: early).rating == "Improvable")
        #expect(HowsMySSLRules.rating(facts(.tls10), now: early).rating == "Bad")
        #expect(HowsMySSLRules.rating(facts(.tls13, insecure: true), now: early).rating == "Bad")
        #expect(HowsMySSLRules.rating(facts(.tls12), now: middle).rating == "Improvable")
        #expect(HowsMySSLRules.rating(facts(.tls13, pq: false), now: middle).rating == "Improvable")
        #expect(HowsMySSLRules.rating(facts(.tls13), now: middle).rating == "Probably Okay")
        #expect(HowsMySSLRules.rating(facts(.tls12), now: late).rating == "Bad")
        #expect(HowsMySSLRules.rating(facts(.tls13), now: late) == ("Probably Okay", []))
        #expect(HowsMySSLRules.rating(facts(.tls11), now: late).reasons == ["no TLS 1.3 (How's My SSL's dated downrank)", "TLS 1.1 is its best version"])
    }

    @Test("routing under a prefix and at the root; JSONP names sanitised")
    func routing() {
        #expect(ClientCheckHTTP.route(uri: "/tls-check", prefix: "/tls-check") == .page)
        #expect(ClientCheckHTTP.route(uri: "/tls-check/?x=1", prefix: "/tls-check") == .page)
        #expect(ClientCheckHTTP.route(uri: "/tls-check/api/v1/check?callback=f", prefix: "/tls-check") == .json)
        #expect(ClientCheckHTTP.route(uri: "/tls-check/a/check", prefix: "/tls-check") == .json)
        #expect(ClientCheckHTTP.route(uri: "/tls-check/other", prefix: "/tls-check") == .notFound)
        #expect(ClientCheckHTTP.route(uri: "/tls-checker", prefix: "/tls-check") == nil)
        #expect(ClientCheckHTTP.route(uri: "/", prefix: "") == .page)
        #expect(ClientCheckHTTP.route(uri: "/api/v1/check", prefix: "") == .json)
        #expect(ClientCheckHTTP.callback(uri: "/a/check?x=1&callback=my.cb_1") == "my.cb_1")
        #expect(ClientCheckHTTP.callback(uri: "/a/check?callback=%3Cscript%3E") == "3Cscript3E")
        #expect(ClientCheckHTTP.callback(uri: "/a/check?callback=") == nil)
        #expect(ClientCheckHTTP.callback(uri: "/a/check") == nil)
    }

    @Test("simulator: a TLS 1.2-minimum context refuses a TLS 1.0 hello with protocol_version, picks a suite for TLS 1.2, handshake_failure for RC4 only")
    func simulator() throws {
        let context = try Self.serverContext(minimum: .tlsv12)

        let old = ClientHelloBuilder(version: .tls10, cipherSuites: [CipherSuite(0xC013), aes]).build()
        guard case .refused(let alert, _) = HandshakeSimulator.run(old, recordVersion: .tls10, context: context) else {
            Issue.record("a TLS 1.0 hello was accepted by a TLS 1.2-minimum context"); return
        }
        #expect(alert == .protocolVersion)

        // swift-nio-ssl's server follows the client's order: AES-CBC first.
        let modern = ClientHelloBuilder(version: .tls12, cipherSuites: [aes, CipherSuite(0x0005), CipherSuite(0xC02F)]).build()
        #expect(HandshakeSimulator.run(modern, recordVersion: .tls10, context: context)
                == .accepted(version: .tls12, suite: aes, helloRetry: false))
        // Elimination finds every suite this context accepts (not RC4), in the order it picks them.
        #expect(HandshakeSimulator.acceptedSuites(modern, recordVersion: .tls10, context: context) == [aes, CipherSuite(0xC02F)])

        let rc4Only = ClientHelloBuilder(version: .tls12, cipherSuites: [CipherSuite(0x0005)]).build()
        guard case .refused(let rc4Alert, _) = HandshakeSimulator.run(rc4Only, recordVersion: .tls10, context: context) else {
            Issue.record("an RC4-only hello was accepted"); return
        }
        #expect(rc4Alert == .handshakeFailure)

        let tls13 = ClientHelloBuilder(version: .tls13, cipherSuites: [self.tls13, CipherSuite(0xC02F)]).build()
        let accepted = HandshakeSimulator.acceptedSuites(tls13, recordVersion: .tls10, context: context)
        #expect(accepted == [self.tls13, CipherSuite(0xC02F)])
    }

    @Test("simulation cache: hellos that differ only per connection share an entry; a different suite list does not")
    func simulationCache() throws {
        let context = try Self.serverContext()
        let cache = HandshakeSimulator.Cache()
        // ClientHelloBuilder makes a fresh random and fresh key shares each time.
        let a = ClientHelloBuilder(version: .tls13, cipherSuites: [tls13, CipherSuite(0x0A0A)]).build()
        let b = ClientHelloBuilder(version: .tls13, cipherSuites: [tls13, CipherSuite(0x1A1A)]).build()
        #expect(a.random != b.random)
        #expect(HandshakeSimulator.Cache.key(a, recordVersion: .tls10, context: context)
                == HandshakeSimulator.Cache.key(b, recordVersion: .tls10, context: context))
        let first = HandshakeSimulator.run(a, recordVersion: .tls10, context: context, cache: cache)
        let second = HandshakeSimulator.run(b, recordVersion: .tls10, context: context, cache: cache)
        #expect(first == second)
        #expect(first.isAccepted)
        #expect(cache.count == 1)
        let other = ClientHelloBuilder(version: .tls12, cipherSuites: [aes]).build()
        _ = HandshakeSimulator.run(other, recordVersion: .tls10, context: context, cache: cache)
        #expect(cache.count == 2)
    }

    @Test("history: last hello per address, bounded, forgotten after the TTL")
    func history() throws {
        let hello = ClientHelloBuilder(version: .tls12, cipherSuites: [aes]).build()
        let flight = ClientHelloFlight(hello: hello, recordVersion: .tls10, recordCount: 1, wireLength: 100)
        let history = ClientHelloHistory(capacity: 10, ttl: 60)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        for i in 0..<25 {
            history.remember(ClientCheckObservation(flight: flight, clientAddress: "10.0.0.\(i)", listener: "l", seenAt: t0))
        }
        #expect(history.count <= 10)
        #expect(history.last(from: "10.0.0.24", now: t0) != nil)
        #expect(history.last(from: "10.0.0.0", now: t0) == nil)
        #expect(history.last(from: "10.0.0.24", now: t0.addingTimeInterval(61)) == nil)
    }
}

@Suite("Client check configuration")
struct ClientCheckConfigurationTests {
    func parse(_ yaml: String) throws -> GatewayConfiguration {
        let cert = try TestCertificate.rsa()
        return try GatewayConfiguration.parse(yaml: yaml.replacingOccurrences(of: "{{rsa}}", with: cert.certPath)
            .replacingOccurrences(of: "{{rsaKey}}", with: cert.keyPath))
    }

    let certs = """
        certificates:
          - default: true
            chain: {{rsa}}
            key: {{rsaKey}}
        """

    @Test("a check-only gateway needs no upstream; the settings are read")
    func checkOnly() throws {
        let c = try parse("""
            listeners: [{name: check, address: "127.0.0.1:8443", clientCheck: true}]
            clientCheck: {policyHost: API.example.com, lookup: "127.0.0.1:8080", historySize: 50, historyTTL: 10m}
            \(certs)
            """)
        #expect(c.upstream == nil)
        #expect(c.listeners[0].clientCheck)
        #expect(c.clientCheck?.policyHost == "api.example.com")
        #expect(c.clientCheck?.lookup?.port == 8080)
        #expect(c.clientCheck?.historySize == 50)
        #expect(c.clientCheck?.historyTTL == .minutes(10))
        // A check listener alone turns the check on with defaults.
        let d = try parse("listeners: [{address: \"127.0.0.1:1\", clientCheck: true}]\n\(certs)")
        #expect(d.clientCheck == GatewayConfiguration.ClientCheckSettings())
    }

    @Test("errors name the key: missing upstream, bad path, path with a TCP relay, bad lookup address",
          arguments: [
            ("listeners: [{address: \"127.0.0.1:1\"}]", "missing 'upstream'"),
            ("listeners: [{address: \"127.0.0.1:1\"}]\nupstream: {address: \"127.0.0.1:2\"}\nclientCheck: {path: tls}", "clientCheck.path: 'tls' is not a path"),
            ("listeners: [{address: \"127.0.0.1:1\"}]\nupstream: {address: \"127.0.0.1:2\", mode: tcp}\nclientCheck: {path: /tls}", "'clientCheck.path' needs an HTTP upstream"),
            ("listeners: [{address: \"127.0.0.1:1\", clientCheck: true}]\nclientCheck: {lookup: nowhere}", "clientCheck.lookup: 'nowhere' is not host:port"),
            ("listeners: [{address: \"127.0.0.1:1\", clientCheck: true}]\nclientCheck: {colour: red}", "colour"),
          ])
    func errors(yaml: String, message: String) throws {
        do {
            _ = try parse(yaml + "\n" + certs)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}
