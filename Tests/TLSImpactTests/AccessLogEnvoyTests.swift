import Foundation
import Testing
@testable import TLSImpact

/// Envoy is not in Debian: these lines follow the documented shape of a `json_format` access log
/// (one object per line; `%START_TIME%` as ISO 8601 in UTC with milliseconds; string operators
/// that cannot be filled as `-`, or null in typed JSON; numbers unquoted), with the keys
/// docs/impact-logs.md configures.
@Suite("Access logs: Envoy (documented JSON shape)")
struct AccessLogEnvoyTests {
    static func line(time: String = "2026-12-03T16:42:36.652Z", version: String = "\"TLSv1.2\"",
                     cipher: String = "\"ECDHE-RSA-AES128-GCM-SHA256\"", sni: String = "\"api.example\"",
                     address: String = "\"192.0.2.10:51000\"", ua: String = "\"okhttp/3.12.0\"",
                     ja3: String = "\"e7d705a3286e19ea42f587b344ee6865\"", ja4: String = "\"t12d1312h2_8b80da21ef18_77989cba1f4a\"",
                     connection: String = "17", key: String = "\"key-1\"") -> String {
        #"{"start_time":"\#(time)","method":"GET","path":"/v1/items?x=[1,2]","protocol":"HTTP/1.1","response_code":200,"# +
            #""bytes_sent":512,"downstream_tls_version":\#(version),"downstream_tls_cipher":\#(cipher),"# +
            #""requested_server_name":\#(sni),"downstream_remote_address":\#(address),"user_agent":\#(ua),"# +
            #""tls_ja3_fingerprint":\#(ja3),"tls_ja4_fingerprint":\#(ja4),"connection_id":\#(connection),"# +
            #""x_api_key":\#(key),"upstream":{"host":"10.0.0.2:8080","tags":["a","b"]}}"#
    }

    @Test func defaultKeysAreRead() async throws {
        let (source, r) = try await AccessLogFixture.read(.envoy, [Self.line()], format: nil, apiKeyField: "x_api_key")
        #expect(r.summary.unparsable == 0, "\(r.summary.firstProblems)")
        let o = try #require(r.observations.first)
        #expect(o.source == "envoy")
        #expect(o.firstSeen == AccessLogFixture.date("2026-12-03T16:42:36.652Z"))
        #expect(o.negotiatedVersion == "TLSv1.2")
        #expect(o.cipherSuite == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        #expect(o.serverName == "api.example")
        #expect(o.clientAddress == "192.0.2.10")
        #expect(o.userAgent == "okhttp/3.12.0")
        #expect(o.ja3 == "e7d705a3286e19ea42f587b344ee6865")
        #expect(o.ja4 == "t12d1312h2_8b80da21ef18_77989cba1f4a")
        #expect(o.apiKey == AccessLogFixture.hashed("key-1"))
        #expect(o.offeredSuites == nil)
        #expect(o.offeredGroups == nil)
        #expect(source.limitations.contains("Envoy cannot log the suites a client offered: cipher tightening cannot be judged"))
        #expect(!source.limitations.contains { $0.hasPrefix("no line has") })
    }

    @Test func connectionsAreCountedByConnectionID() async throws {
        let lines = [
            Self.line(connection: "17"), Self.line(connection: "17"), Self.line(connection: "18"),
            Self.line(address: "\"[2001:db8::5]:443\"", connection: "19"),
            Self.line(address: "\"[2001:db8::5]:443\"", connection: "19"),
        ]
        let (_, r) = try await AccessLogFixture.read(.envoy, lines, format: nil)
        #expect(r.observations.count == 2)
        let v4 = try #require(r.observations.first { $0.clientAddress == "192.0.2.10" })
        #expect(v4.connections == 2 && v4.requests == 3)
        let v6 = try #require(r.observations.first { $0.clientAddress == "2001:db8::5" })
        #expect(v6.connections == 1 && v6.requests == 2)
    }

    @Test func dashesAndNullsAreMissingValues() async throws {
        let lines = [
            Self.line(sni: "\"-\"", ja3: "null", ja4: "\"-\"", key: "null"),
            Self.line(version: "null", cipher: "null"),  // a plain-HTTP listener's line
        ]
        let (source, r) = try await AccessLogFixture.read(.envoy, lines, format: nil, apiKeyField: "x_api_key")
        #expect(r.summary.withoutTLS == 1)
        let o = try #require(r.observations.first)
        #expect(r.observations.count == 1)
        #expect(o.serverName == nil && o.ja3 == nil && o.ja4 == nil && o.apiKey == nil)
        #expect(source.limitations.contains { $0.hasPrefix("no line has \"tls_ja4_fingerprint\" (%TLS_JA4_FINGERPRINT%") })
        #expect(source.limitations.contains { $0.hasPrefix("no line has \"x_api_key\"") })
    }

    @Test func keysCanBeRenamedAndTimesMayBeEpochSeconds() async throws {
        let line = #"{"ts":"1796316156.652","tls":"TLSv1.3","c":"TLS_AES_128_GCM_SHA256","peer":"198.51.100.3:40000","ua":"x \"y\" \u00fc"}"#
        let (source, r) = try await AccessLogFixture.read(
            .envoy, [line], format: "time=ts, tls_version=tls,tls_cipher=c,client_address=peer,user_agent=ua")
        let o = try #require(r.observations.first)
        #expect(abs(o.firstSeen.timeIntervalSince1970 - 1_796_316_156.652) < 0.001)
        #expect(o.negotiatedVersion == "TLSv1.3")
        #expect(o.cipherSuite == "TLS_AES_128_GCM_SHA256")
        #expect(o.clientAddress == "198.51.100.3")
        #expect(o.userAgent == "x \"y\" ü")
        // Keys the lines never had: said after the read.
        #expect(source.limitations.contains { $0.hasPrefix("no line has \"requested_server_name\"") })
        #expect(source.limitations.contains { $0.hasPrefix("no line has \"connection_id\"") })
        #expect(o.connections == 1)
    }

    @Test func linesThatAreNotOneJSONObjectAreReported() async throws {
        let lines = [Self.line(), "[2026-12-03T16:42:36.652Z] \"GET / HTTP/1.1\" 200", Self.line() + " trailing", "{\"start_time\":"]
        let (_, r) = try await AccessLogFixture.read(.envoy, lines, format: nil)
        #expect(r.summary.unparsable == 3)
        #expect(r.summary.firstProblems.map(\.line) == [2, 3, 4])
        #expect(r.summary.firstProblems.allSatisfy { $0.reason == "not one JSON object" })
        #expect(r.observations.count == 1)
    }

    @Test func aLineWithoutTheTimeKeyIsReported() async throws {
        let (_, r) = try await AccessLogFixture.read(.envoy, [#"{"downstream_tls_version":"TLSv1.2"}"#], format: nil)
        #expect(r.summary.firstProblems.first?.reason == "no time")
    }

    @Test func anUnknownFieldInTheMappingIsAnError() throws {
        let path = try AccessLogFixture.file(["{}"])
        let error = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .envoy, paths: [path], format: "version=tls", apiKeyField: nil)
        }
        #expect(error?.code == .unusableFormat)
        #expect(error?.description.contains("tls_version") == true)
    }
}
