import Foundation
import Testing
@testable import TLSImpact

@Suite("Access logs: nginx")
struct AccessLogNginxTests {
    /// The format docs/impact-logs.md recommends.
    static let format = #"$remote_addr $remote_port [$time_local] "$request" $status conn=$connection req=$connection_requests sni=$ssl_server_name tls=$ssl_protocol cipher=$ssl_cipher ciphers=$ssl_ciphers curves=$ssl_curves key="$http_x_api_key" ua="$http_user_agent""#

    // Lines as Debian's nginx 1.22 (OpenSSL 3.0) wrote them with that format.
    static let tls13 = #"127.0.0.1 40780 [03/Dec/2026:16:42:36 +0000] "GET / HTTP/1.1" 200 conn=1 req=1 sni=localhost tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 ciphers=TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:TLS_EMPTY_RENEGOTIATION_INFO_SCSV curves=X25519:prime256v1:X448:secp521r1:secp384r1:ffdhe2048 key="k1" ua="curl \x22q\x22 \x5C x""#
    static let tls10 = #"127.0.0.1 40784 [03/Dec/2026:16:42:37 +0000] "GET /a HTTP/1.1" 200 conn=2 req=1 sni=- tls=TLSv1 cipher=ECDHE-RSA-AES256-SHA ciphers=ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:0x0a0a:0x00ff curves=0x2a2a:X25519:prime256v1 key="-" ua="curl/7.88.1""#

    @Test func tlsVariablesAreReadInTheRecordsNaming() async throws {
        let (_, r) = try await AccessLogFixture.read(.nginx, [Self.tls13, Self.tls10], format: Self.format,
                                                     apiKeyField: "$http_x_api_key")
        #expect(r.summary.unparsable == 0)
        let modern = try #require(r.observations.first { $0.negotiatedVersion == "TLSv1.3" })
        #expect(modern.cipherSuite == "TLS_AES_256_GCM_SHA384")
        #expect(modern.offeredSuites == "TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA")
        #expect(modern.offeredGroups == "x25519,secp256r1,x448,secp521r1,secp384r1,ffdhe2048")
        #expect(modern.serverName == "localhost")
        #expect(modern.clientAddress == "127.0.0.1")
        #expect(modern.userAgent == #"curl "q" \ x"#)
        #expect(modern.apiKey == AccessLogFixture.hashed("k1"))
        #expect(modern.firstSeen == AccessLogFixture.date("2026-12-03T16:42:36Z"))
        let legacy = try #require(r.observations.first { $0.negotiatedVersion == "TLSv1.0" })
        #expect(legacy.cipherSuite == "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA")
        // GREASE and the renegotiation SCSV are not suites or groups.
        #expect(legacy.offeredSuites == "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA")
        #expect(legacy.offeredGroups == "x25519,secp256r1")
        #expect(legacy.serverName == nil)
        #expect(legacy.apiKey == nil)
        #expect(legacy.userAgent == "curl/7.88.1")
    }

    @Test func theDefaultIsCombinedAndItsLimitationsSaySo() async throws {
        let line = #"203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#
        let (source, r) = try await AccessLogFixture.read(.nginx, [line], format: nil)
        let o = try #require(r.observations.first)
        #expect(o.firstSeen == AccessLogFixture.date("2000-10-10T20:55:36Z"))
        #expect(o.clientAddress == "203.0.113.9")
        #expect(o.userAgent == "Mozilla/4.08 [en] (Win98; I ;Nav)")
        #expect(o.negotiatedVersion == nil)
        #expect(o.cipherSuite == nil)
        #expect(o.connections == 1 && o.requests == 1)
        #expect(source.limitations.contains("no $ssl_protocol in the format: the negotiated version is unknown, so no client can be judged"))
        #expect(source.limitations.contains("the format has no connection identifier: each line counts as one connection and one request"))
    }

    @Test func theFormatMayBeGivenAsInNginxConf() async throws {
        let directive = """
            log_format tls escape=default '$remote_addr [$time_local] '
                                          '"$request" $ssl_protocol "$http_user_agent"';
            """
        let quoted = #"'$remote_addr [$time_local] ' '"$request" $ssl_protocol "$http_user_agent"'"#
        let bare = #"$remote_addr [$time_local] "$request" $ssl_protocol "$http_user_agent""#
        let line = #"192.0.2.7 [03/Dec/2026:16:42:36 +0100] "GET / HTTP/1.1" TLSv1.1 "a b""#
        for format in [directive, quoted, bare, "${remote_addr} [${time_local}] \"${request}\" ${ssl_protocol} \"${http_user_agent}\""] {
            let (_, r) = try await AccessLogFixture.read(.nginx, [line], format: format)
            #expect(r.summary.unparsable == 0, "\(format)")
            #expect(r.observations.first?.negotiatedVersion == "TLSv1.1", "\(format)")
            #expect(r.observations.first?.userAgent == "a b", "\(format)")
            #expect(r.observations.first?.firstSeen == AccessLogFixture.date("2026-12-03T15:42:36Z"), "\(format)")
        }
    }

    @Test func escapeJSONLines() async throws {
        let format = #"log_format j escape=json '{"t":"$msec","a":"$remote_addr","v":"$ssl_protocol","ua":"$http_user_agent"}';"#
        let line = #"{"t":"1796316156.652","a":"::1","v":"TLSv1.2","ua":"say \"hi\"\\ \u00e9"}"#
        let (_, r) = try await AccessLogFixture.read(.nginx, [line], format: format)
        let o = try #require(r.observations.first)
        #expect(o.userAgent == #"say "hi"\ é"#)
        #expect(o.clientAddress == "::1")
        #expect(abs(o.firstSeen.timeIntervalSince1970 - 1_796_316_156.652) < 0.001)
    }

    @Test func ipv6AddressBeforeAPort() async throws {
        let format = #"$remote_addr:$remote_port [$time_iso8601] $ssl_protocol"#
        let lines = ["2001:db8::1:443 [2026-12-03T16:42:36+00:00] TLSv1.2", "2001:db8::1:444 [2026-12-03T16:42:37+00:00] TLSv1.2",
                     "2001:db8::1:443 [2026-12-03T16:42:38+00:00] TLSv1.2"]
        let (source, r) = try await AccessLogFixture.read(.nginx, lines, format: format)
        let o = try #require(r.observations.first)
        #expect(r.observations.count == 1)
        #expect(o.clientAddress == "2001:db8::1")
        #expect(o.connections == 2)  // by address and port
        #expect(o.requests == 3)
        #expect(source.limitations.contains { $0.hasPrefix("connections are counted as distinct client address and port pairs") })
    }

    @Test func connectionRequestsCountFirstRequests() async throws {
        let format = #"$remote_addr [$time_local] $connection_requests $ssl_protocol"#
        let lines = (1...5).map { "192.0.2.1 [03/Dec/2026:16:42:36 +0000] \($0 % 3 == 1 ? 1 : 2) TLSv1.2" }
        let (_, r) = try await AccessLogFixture.read(.nginx, lines, format: format)
        #expect(r.observations.first?.connections == 2)  // lines 1 and 4
        #expect(r.observations.first?.requests == 5)
    }

    @Test func requestsWithoutTLSAreLeftOutAndCounted() async throws {
        let format = #"$remote_addr [$msec] $ssl_protocol"#
        let (source, r) = try await AccessLogFixture.read(
            .nginx, ["192.0.2.1 [1796316156.000] -", "192.0.2.1 [1796316157.5] TLSv1.3"], format: format)
        #expect(r.observations.count == 1)
        #expect(r.summary.withoutTLS == 1)
        #expect(source.limitations.contains("1 requests in the window did not come over TLS and are left out"))
    }

    @Test func theApiKeyFieldMayBeAVariableOrAHeaderName() throws {
        #expect(NginxLogFormat.variableName("$http_x_api_key") == "http_x_api_key")
        #expect(NginxLogFormat.variableName("X-API-Key") == "http_x_api_key")
        #expect(NginxLogFormat.variableName("${http_x_token}") == "http_x_token")
        #expect(NginxLogFormat.variableName("arg_api_key") == "arg_api_key")
    }

    @Test(arguments: [
        (#"$remote_addr$remote_user [$time_local]"#, "$remote_addr and $remote_user follow each other"),
        (#"$remote_addr "$request""#, "has no time"),
        (#"log_format x '$remote_addr [$time_local]"#, "quoted strings do not close"),
        (#"log_format x escape=xml '$remote_addr [$time_local]';"#, "unknown escape=xml"),
    ])
    func unusableFormatsAreOneLineErrors(format: String, message: String) throws {
        let path = try AccessLogFixture.file(["x"])
        let error = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .nginx, paths: [path], format: format, apiKeyField: nil)
        }
        #expect(error?.code == .unusableFormat)
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("\n") == false)
    }

    @Test func anApiKeyVariableMissingFromTheFormatIsAnError() throws {
        let path = try AccessLogFixture.file(["x"])
        let error = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .nginx, paths: [path], format: nil, apiKeyField: "X-API-Key")
        }
        #expect(error?.description.contains("no $http_x_api_key") == true)
    }
}
