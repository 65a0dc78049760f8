import Foundation
import Testing
import TLSWire
@testable import TLSGateway
@testable import TestSupport

@Suite("Gateway configuration: YAML, validation, one-line errors")
struct GatewayConfigurationTests {
    /// Writes `yaml` (placeholders `{{rsa}}`, `{{rsaKey}}`) to a file and loads it.
    func load(_ yaml: String) throws(GatewayConfigError) -> GatewayConfiguration {
        let rsa = try! TestCertificate.rsa()
        let directory = try! TestScratch.makeDirectory(prefix: "config")
        let path = directory.appendingPathComponent("gateway.yaml").path
        let text = yaml.replacingOccurrences(of: "{{rsaKey}}", with: rsa.keyPath).replacingOccurrences(of: "{{rsa}}", with: rsa.certPath)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return try GatewayConfiguration.load(path: path)
    }

    static let minimal = """
        listeners: [{address: "127.0.0.1:8443"}]
        upstream: {address: "127.0.0.1:8080"}
        certificates: [{default: true, chain: "{{rsa}}", key: "{{rsaKey}}"}]
        """

    @Test("a minimal file gets the safe defaults")
    func minimal() throws {
        let c = try load(Self.minimal)
        #expect(c.listeners == [.init(name: "listener-0", host: "127.0.0.1", port: 8443)])
        #expect(c.defaultPolicy.minimumVersion == .tls12)
        #expect(c.defaultPolicy.mode == .observe)
        #expect(c.upstream?.mode == .http)
        #expect(c.records.databasePath == nil)
        #expect(c.tls.maxHelloBytes == 16384)
    }

    @Test("hosts inherit the default policy and override what they set")
    func inheritance() throws {
        let c = try load(Self.minimal + """

            policy:
              default: {minimumVersion: TLSv1.2, mode: warn, cutoff: 2026-06-30}
              noSNI: {mode: enforce}
              hosts:
                Legacy.Example.com: {mode: observe, explain: {status: 403, format: html}}
            exceptions:
              - {name: acme, apiKey: secret, expires: 2026-09-30, hosts: [legacy.example.com]}
            records: {apiKeyHeader: X-API-Key, apiKeyStorage: plain}
            """)
        let host = try #require(c.hostPolicies["legacy.example.com"])
        #expect(host.name == "hosts[legacy.example.com]")
        #expect(host.mode == .observe)
        #expect(host.cutoff == Dates.cutoff)
        #expect(host.explain == ExplainSettings(status: 403, format: .html))
        #expect(c.noSNIPolicy?.mode == .enforce)
        #expect(c.noSNIPolicy?.name == "noSNI")
        #expect(c.exceptions.first?.matcher == .apiKeySHA256(APIKeyHash.sha256Hex("secret")))
        #expect(c.exceptions.first?.hosts == ["legacy.example.com"])
        #expect(c.records.apiKeyStorage == .plain)
    }

    @Test("errors name the file, the setting and the problem", arguments: [
        ("listeners: [{address: \"127.0.0.1:8443\"}]\nupstream: {address: \"127.0.0.1:8080\"}\ncertificates: [{default: true, chain: \"{{rsa}}\", key: \"{{rsaKey}}\"}]\npolicy: {default: {mode: wran}}",
         "policy.default.mode: 'wran' is not one of observe, warn, brownout, enforce"),
        ("listeners: [{address: \"127.0.0.1:8443\"}]\nupstream: {address: \"127.0.0.1:8080\"}\ncertificates: [{default: true, chain: \"{{rsa}}\", key: \"{{rsaKey}}\"}]\npolicy: {default: {minimumVersoin: TLSv1.2}}",
         "policy.default.minimumVersoin: unknown setting"),
        ("listeners: [{address: \"127.0.0.1:8443\"}]\nupstream: {address: \"127.0.0.1:8080\"}\ncertificates: [{default: true, chain: \"{{rsa}}\", key: \"{{rsaKey}}\"}]\npolicy: {default: {cutoff: 2026-13-45}}",
         "policy.default.cutoff: '2026-13-45' is not a date"),
        ("listeners: [{address: \"127.0.0.1:8443\"}]\nupstream: {address: \"127.0.0.1:8080\"}\ncertificates: [{default: true, chain: /nonexistent/chain.pem, key: \"{{rsaKey}}\"}]",
         "certificates[0].chain: cannot read /nonexistent/chain.pem"),
        ("listeners: [{address: \"127.0.0.1:8443\"}]\nupstream: {address: \"127.0.0.1:8080\"}\ncertificates: [{default: true, chain: \"{{rsa}}\", key: \"{{rsaKey}}\"}]\nexceptions: [{name: x, cidr: 10.0.0.0/8}]",
         "exceptions[0]: missing 'expires': every exception ends"),
        ("listeners: [{address: \"127.0.0.1:8443\"}]\nupstream: {address: \"127.0.0.1:8080\"}\ncertificates: [{default: true, chain: \"{{rsa}}\", key: \"{{rsaKey}}\"}]\nexceptions: [{name: x, cidr: 10.0.0.0/99, expires: 2027-01-01}]",
         "exceptions[0].cidr: '10.0.0.0/99' is not an address or CIDR network"),
        ("upstream: {address: \"127.0.0.1:8080\"}", "missing 'listeners'"),
        ("listeners: [{address: nowhere}]", "listeners[0].address: 'nowhere' is not host:port"),
        ("listeners: [ {address: ", "not valid YAML"),
    ])
    func errors(yaml: String, expected: String) throws {
        do {
            _ = try load(yaml)
            Issue.record("loaded a bad config: \(yaml)")
        } catch {
            #expect(error.description.contains("gateway.yaml: "), "names the file: \(error)")
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("\n"), "one line: \(error)")
        }
    }

    @Test("records: postgres and retention; database and postgres together is an error naming the key")
    func postgresRecords() throws {
        let c = try load(Self.minimal + """

            records: {postgres: "postgres://gw:secret@db.internal:5432/records?sslmode=require", retention: 90d, gateway: edge-1}
            """)
        #expect(c.records.postgresURL == "postgres://gw:secret@db.internal:5432/records?sslmode=require")
        #expect(c.records.databasePath == nil)
        #expect(c.records.retention == .seconds(90 * 86_400))
        #expect(c.records.isEnabled)
        #expect(c.records.storeDescription == "postgres://gw:***@db.internal:5432/records?sslmode=require")

        let both = #expect(throws: GatewayConfigError.self) {
            try load(Self.minimal + "\nrecords: {database: /tmp/r.sqlite, postgres: \"postgres://gw@db/records\"}")
        }
        #expect("\(try #require(both))".contains("records.postgres: 'records.database' and 'records.postgres' cannot both be set"))

        let bad = #expect(throws: GatewayConfigError.self) {
            try load(Self.minimal + "\nrecords: {postgres: \"postgres://gw:secret@db:99999/records\"}")
        }
        let message = "\(try #require(bad))"
        #expect(message.contains("records.postgres: the port '99999' is not a number from 1 to 65535"), "\(message)")
        #expect(!message.contains("secret"))

        let short = #expect(throws: GatewayConfigError.self) {
            try load(Self.minimal + "\nrecords: {database: /tmp/r.sqlite, retention: 12h}")
        }
        #expect("\(try #require(short))".contains("records.retention: must be at least 1d"))
    }

    @Test("a key that does not match its certificate is caught when the contexts are built")
    func mismatchedKey() throws {
        let ec = try TestCertificate.ecdsa()
        let c = try load("""
            listeners: [{address: "127.0.0.1:8443"}]
            upstream: {address: "127.0.0.1:8080"}
            certificates: [{default: true, chain: "{{rsa}}", key: "\(ec.keyPath)"}]
            """)
        #expect(throws: GatewayConfigError.self) { try GatewayRuntime(configuration: c, clock: .system) }
    }

    @Test("the README's provider example is docs/examples/gateway-provider.yaml, verbatim")
    func readmeExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = try String(contentsOf: root.appendingPathComponent("docs/examples/gateway-provider.yaml"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("```yaml\n" + example + "```"), "README must show the example file as it is")
    }
}
