import Foundation
import Testing
import TLSWire
@testable import TLSGateway

@Suite("Policy engine: modes, cutoff, brownouts, exceptions, SNI and no-SNI rules")
struct PolicyEngineTests {
    static let provider = HostPolicy(
        name: "default", minimumVersion: .tls12, mode: .warn, cutoff: Dates.cutoff,
        brownouts: [TimeWindow(start: Dates.at("2026-05-12T14:00:00Z"), end: Dates.at("2026-05-12T15:00:00Z"))])

    func engine(_ policy: HostPolicy = provider, at date: Date, exceptions: [PolicyException] = [],
                hosts: [String: HostPolicy] = [:], noSNI: HostPolicy? = nil) -> PolicyEngine {
        PolicyEngine(defaultPolicy: policy, noSNIPolicy: noSNI, hostPolicies: hosts, exceptions: exceptions,
                     clock: GatewayClock { date })
    }

    func facts(_ version: ProtocolVersion, sni: String? = "api.example.com", ip: String = "192.0.2.10") -> ConnectionFacts {
        ConnectionFacts(serverName: sni, maxOfferedVersion: version, clientAddress: ip)
    }

    @Test("modern clients get the strict context whatever the mode", arguments: [ProtocolVersion.tls12, .tls13])
    func modern(version: ProtocolVersion) {
        for date in [Dates.grace, Dates.inFirstBrownout, Dates.afterCutoff] {
            let d = engine(at: date).decide(facts(version))
            #expect(d.action == .strict)
            #expect(d.rule == "default.minimumVersion")
            #expect(d.mode == "modern")
            #expect(!d.isLegacyClient)
        }
    }

    @Test("warn before the cutoff, enforce after it, by itself")
    func cutoff() {
        let before = engine(at: Dates.grace).decide(facts(.tls10))
        #expect(before.action == .legacy)
        #expect(before.rule == "default.mode=warn")
        #expect(before.addsDeprecationHeaders)
        let after = engine(at: Dates.afterCutoff).decide(facts(.tls10))
        #expect(after.action == .refuse)
        #expect(after.rule == "default.cutoff")
        #expect(after.mode == "enforce")
        let exactly = engine(at: Dates.cutoff).decide(facts(.tls11))
        #expect(exactly.action == .refuse)
    }

    @Test("brownout: refused inside the window, warned outside it")
    func brownout() {
        let inside = engine(at: Dates.inFirstBrownout).decide(facts(.tls10))
        #expect(inside.action == .refuse)
        #expect(inside.rule == "default.brownouts[0]")
        let end = engine(at: Dates.at("2026-05-12T15:00:00Z")).decide(facts(.tls10))
        #expect(end.action == .legacy, "the window is half-open: its end is outside")
        var p = Self.provider
        p.brownoutResponse = .explain
        let explained = engine(p, at: Dates.inFirstBrownout).decide(facts(.tls10))
        #expect(explained.action == .legacy)
        #expect(explained.explains)
    }

    @Test("SSL 3.0 is refused in every mode: nothing can serve it")
    func sslv3() {
        let d = engine(at: Dates.grace).decide(facts(.sslv3))
        #expect(d.action == .refuse)
        #expect(d.rule == "default.minimumVersion")
        #expect(d.isLegacyClient)
    }

    @Test("observe allows without headers; enforce refuses", arguments: [PolicyMode.observe, .enforce])
    func modes(mode: PolicyMode) {
        var p = Self.provider
        p.mode = mode
        p.cutoff = nil
        p.brownouts = []
        let d = engine(p, at: Dates.grace).decide(facts(.tls10))
        #expect(d.rule == "default.mode=\(mode.rawValue)")
        #expect(d.action == (mode == .observe ? .legacy : .refuse))
        #expect(!d.addsDeprecationHeaders)
    }

    @Test("CIDR and SNI exceptions match until they expire")
    func exceptions() {
        let exceptions = [
            PolicyException(name: "partner", matcher: .network(IPAddressRange("192.0.2.0/24")!), expires: Dates.partnerExpiry),
            PolicyException(name: "pos", matcher: .serverName("pos.example.com"), expires: Dates.partnerExpiry),
        ]
        let during = engine(at: Dates.afterCutoff, exceptions: exceptions).decide(facts(.tls10))
        #expect(during.action == .legacy)
        #expect(during.rule == "exceptions[partner]")
        #expect(during.mode == "exception")
        let other = engine(at: Dates.afterCutoff, exceptions: exceptions).decide(facts(.tls10, ip: "198.51.100.1"))
        #expect(other.action == .refuse)
        let bySNI = engine(at: Dates.afterCutoff, exceptions: exceptions).decide(facts(.tls10, sni: "POS.example.com", ip: "198.51.100.1"))
        #expect(bySNI.rule == "exceptions[pos]")
        let expired = engine(at: Dates.afterPartnerExpiry, exceptions: exceptions).decide(facts(.tls10))
        #expect(expired.action == .refuse)
        #expect(expired.rule == "default.cutoff")
    }

    @Test("API-key exceptions defer the refusal to the HTTP request")
    func apiKeyException() {
        let key = APIKeyHash.sha256Hex("partner-key")
        let exceptions = [PolicyException(name: "acme-key", matcher: .apiKeySHA256(key), expires: Dates.partnerExpiry)]
        let e = engine(at: Dates.afterCutoff, exceptions: exceptions)
        let d = e.decide(facts(.tls10))
        #expect(d.action == .legacy)
        #expect(d.requiresAPIKeyException)
        #expect(e.decideRequest(d, serverName: "api.example.com", apiKeySHA256: key) == .proxy(warn: true, rule: "exceptions[acme-key]"))
        #expect(e.decideRequest(d, serverName: "api.example.com", apiKeySHA256: APIKeyHash.sha256Hex("other")) == .explain(rule: "default.cutoff"))
        #expect(e.decideRequest(d, serverName: "api.example.com", apiKeySHA256: nil) == .explain(rule: "default.cutoff"))
        let expired = engine(at: Dates.afterPartnerExpiry, exceptions: exceptions).decide(facts(.tls10))
        #expect(expired.action == .refuse)
    }

    @Test("per-host policy, wildcard, and the no-SNI rule")
    func hosts() {
        var legacyHost = Self.provider
        legacyHost.name = "hosts[legacy.example.com]"
        legacyHost.mode = .observe
        legacyHost.cutoff = nil
        var wildcard = Self.provider
        wildcard.name = "hosts[*.internal.example.com]"
        wildcard.minimumVersion = .tls13
        var noSNI = Self.provider
        noSNI.name = "noSNI"
        noSNI.mode = .enforce
        let e = engine(at: Dates.grace, hosts: ["legacy.example.com": legacyHost, "*.internal.example.com": wildcard], noSNI: noSNI)
        #expect(e.decide(facts(.tls10, sni: "legacy.example.com")).rule == "hosts[legacy.example.com].mode=observe")
        #expect(e.decide(facts(.tls10, sni: "Legacy.Example.com.")).rule == "hosts[legacy.example.com].mode=observe")
        #expect(e.decide(facts(.tls12, sni: "db.internal.example.com")).action == .legacy)
        #expect(e.decide(facts(.tls12, sni: "a.b.internal.example.com")).policy.name == "default")
        let none = e.decide(facts(.tls10, sni: nil))
        #expect(none.rule == "noSNI.mode=enforce")
        #expect(none.action == .refuse)
    }

    @Test("explain answers allowed legacy clients instead of proxying")
    func explain() {
        var p = Self.provider
        p.explain = ExplainSettings(status: 426, format: .json)
        let e = engine(p, at: Dates.grace)
        let d = e.decide(facts(.tls10))
        #expect(d.explains)
        #expect(e.decideRequest(d, serverName: nil, apiKeySHA256: nil) == .explain(rule: "default.mode=warn"))
        let modern = e.decide(facts(.tls13))
        #expect(e.decideRequest(modern, serverName: nil, apiKeySHA256: nil) == .proxy(warn: false, rule: nil))
    }
}

@Suite("IP address ranges")
struct IPAddressRangeTests {
    @Test func matching() throws {
        let v4 = try #require(IPAddressRange("10.20.0.0/16"))
        #expect(v4.contains("10.20.3.4"))
        #expect(!v4.contains("10.21.0.1"))
        #expect(v4.contains("::ffff:10.20.9.9"))
        let host = try #require(IPAddressRange("127.0.0.1"))
        #expect(host.contains("127.0.0.1"))
        #expect(!host.contains("127.0.0.2"))
        let v6 = try #require(IPAddressRange("2001:db8::/32"))
        #expect(v6.contains("2001:db8:1::5"))
        #expect(!v6.contains("2001:db9::1"))
        #expect(IPAddressRange("10.0.0.0/33") == nil)
        #expect(IPAddressRange("example.com") == nil)
        #expect(IPAddressRange("0.0.0.0/0")!.contains("8.8.8.8"))
    }
}
