import Foundation
import Testing
@testable import TLSImpact

@Suite("Access logs: HAProxy")
struct AccessLogHAProxyTests {
    static let utc = TimeZone(identifier: "UTC")!

    // Lines as Debian's HAProxy 2.6 wrote them (option httplog / httpslog, log stdout).
    static let httplogSyslog = #"<134>Dec  3 17:05:39 localhost haproxy[8825]: 127.0.0.1:43578 [03/Dec/2026:17:05:39.851] tls~ tls/<NOSRV> 0/-1/-1/-1/0 200 73 - - LR-- 1/1/0/0/0 0/0 "GET /x?y=1 HTTP/1.1""#
    static let httpslogCaptured = #"<134>Dec  3 17:05:39 localhost haproxy[8825]: 127.0.0.1:57898 [03/Dec/2026:17:05:39.872] tls2~ tls2/<NOSRV> 0/-1/-1/-1/0 200 73 - - LR-- 1/1/0/0/0 0/0 {ua with space} "GET /z HTTP/1.1" 0/0000000000000000/0/0/0 a.example/TLSv1.3/TLS_AES_256_GCM_SHA384"#
    static let httpslog5424 = #"<134>1 2026-12-03T17:05:39.872662+00:00 - haproxy 8825 - - 127.0.0.1:57898 [03/Dec/2026:17:05:39.872] tls2~ tls2/<NOSRV> 0/-1/-1/-1/0 200 73 - - LR-- 1/1/0/0/0 0/0 {ua with space} "GET /z HTTP/1.1" 0/0000000000000000/0/0/0 a.example/TLSv1.3/TLS_AES_256_GCM_SHA384"#

    static let format = #"hr={User-Agent|X-API-Key} %ci:%cp [%tr] %ft %ST %hr %[ssl_fc_sni] %sslv %sslc {%[ssl_fc_cipherlist_str]} {%[ssl_fc_eclist_bin(1),hex]} %{+Q}r"#
    static let tls10 = #"127.0.0.1:37726 [03/Dec/2026:16:42:21.014] tls~ 200 {old#7Cone#7Bx#7D#22q|k2} - TLSv1 ECDHE-RSA-AES256-SHA {ECDHE-ECDSA-AES256-SHA,ECDHE-RSA-AES256-SHA,TLS_EMPTY_RENEGOTIATION_INFO_SCSV} {001D0017001E00190018} "GET /a HTTP/1.1""#

    @Test func theDefaultHttplogWithASyslogHeader() async throws {
        let (source, r) = try await AccessLogFixture.read(.haproxy, [Self.httplogSyslog], format: nil, zone: Self.utc)
        #expect(r.summary.unparsable == 0)
        let o = try #require(r.observations.first)
        #expect(o.source == "haproxy")
        #expect(o.clientAddress == "127.0.0.1")
        #expect(o.firstSeen == AccessLogFixture.date("2026-12-03T17:05:39.851Z"))
        #expect(o.negotiatedVersion == nil)
        #expect(source.limitations.contains("no %sslv in the format: the negotiated version is unknown, so no client can be judged"))
        #expect(source.limitations.contains { $0.hasPrefix("connections are counted as distinct client address and port pairs") })
        #expect(source.limitations.contains { $0.hasPrefix("HAProxy's %tr has no time zone") })
    }

    static let httpslogRaw = String(httpslogCaptured[httpslogCaptured.range(of: "127.0.0.1:57898")!.lowerBound...])

    @Test(arguments: [httpslogCaptured, httpslog5424, httpslogRaw])
    func httpslogWithOrWithoutSyslog(line: String) async throws {
        let (_, r) = try await AccessLogFixture.read(.haproxy, [line], format: "hr={User-Agent} httpslog", zone: Self.utc)
        #expect(r.summary.unparsable == 0, "\(r.summary.firstProblems)")
        let o = try #require(r.observations.first)
        #expect(o.serverName == "a.example")
        #expect(o.negotiatedVersion == "TLSv1.3")
        #expect(o.cipherSuite == "TLS_AES_256_GCM_SHA384")
        #expect(o.userAgent == "ua with space")
    }

    @Test func capturesSSLFetchesAndEscapes() async throws {
        let (source, r) = try await AccessLogFixture.read(.haproxy, [Self.tls10], format: Self.format, apiKeyField: "X-API-Key",
                                                          zone: TimeZone(identifier: "Europe/Berlin")!)
        #expect(r.summary.unparsable == 0, "\(r.summary.firstProblems)")
        let o = try #require(r.observations.first)
        #expect(o.userAgent == #"old|one{x}"q"#)
        #expect(o.apiKey == AccessLogFixture.hashed("k2"))
        #expect(o.serverName == nil)
        #expect(o.negotiatedVersion == "TLSv1.0")
        #expect(o.cipherSuite == "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA")
        #expect(o.offeredSuites == "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA")
        #expect(o.offeredGroups == "x25519,secp256r1,x448,secp521r1,secp384r1")
        // Berlin is UTC+1 in December.
        #expect(o.firstSeen == AccessLogFixture.date("2026-12-03T15:42:21.014Z"))
        #expect(!source.limitations.contains { $0.contains("cipher tightening") })
    }

    /// Written by HAProxy 2.6 with %{+Q}o: addresses, strings and captures quoted, numbers and dates
    /// not; the E flag escapes with backslashes; captures escape with #, sample fetches do not.
    static let quotedLine = #""127.0.0.1":60992 [03/Dec/2026:17:35:23.290] [03/Dec/2026:17:35:23 +0000] 1796319323 "tls~" 200 "{a #22b#22 \ ]}" "a #22b#22 \ ]" "" "TLSv1.3" "GET /x HTTP/1.1" "" "a \"b\" \\ \]""#

    @Test(arguments: [
        "hr={User-Agent} %{+Q}o %ci:%cp [%tr] [%T] %Ts %ft %ST %hr %hrl %[ssl_fc_sni] %sslv %r %[ssl_fc_protocol_hello_id] %{+Q,+E}[capture.req.hdr(0)]",
        "hr={Host} %{+Q}o %ci:%cp [%tr] [%T] %Ts %ft %ST %hr %hrl %[ssl_fc_sni] %sslv %r %[ssl_fc_protocol_hello_id] %{+Q,+E}[ssl_c_s_dn]",
        "hr={User-Agent} %{+Q}o %ci:%cp [%tr] [%T] %Ts %ft %ST %hr %hrl %[ssl_fc_sni] %sslv %r %[ssl_fc_protocol_hello_id] %{+Q,+E}[ssl_c_s_dn]",
    ])
    func quotedAndEscapedValues(format: String) async throws {
        let (_, r) = try await AccessLogFixture.read(.haproxy, [Self.quotedLine], format: format, zone: Self.utc)
        #expect(r.summary.unparsable == 0, "\(r.summary.firstProblems)")
        let o = try #require(r.observations.first)
        #expect(o.clientAddress == "127.0.0.1")
        #expect(o.negotiatedVersion == "TLSv1.3")
        #expect(o.serverName == nil)
        // %T (zoned, whole seconds) is preferred to %tr (milliseconds, no zone).
        #expect(o.firstSeen == AccessLogFixture.date("2026-12-03T17:35:23Z"))
        #expect(o.userAgent == (format.hasPrefix("hr={Host}") ? nil : #"a "b" \ ]"#))
    }

    @Test func hexAndDecimalLists() async throws {
        let format = "%ci:%cp [%trg] %sslv {%[ssl_fc_cipherlist_hex(1)]} {%[ssl_fc_eclist_bin(1),be2dec(:,2)]}"
        let line = "192.0.2.4:1234 [03/Dec/2026:16:42:21 +0000] TLSv1.1 {C00AC0140A0A00FF} {29:23:2570}"
        let (_, r) = try await AccessLogFixture.read(.haproxy, [line], format: format)
        let o = try #require(r.observations.first)
        #expect(o.offeredSuites == "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA")
        #expect(o.offeredGroups == "x25519,secp256r1")  // 2570 = 0x0A0A, GREASE
        #expect(o.negotiatedVersion == "TLSv1.1")
        #expect(o.firstSeen == AccessLogFixture.date("2026-12-03T16:42:21Z"))
    }

    @Test func theFormatMayBeGivenAsInHAProxyCfg() async throws {
        let line = #"192.0.2.4:1234 [03/Dec/2026:16:42:21.5] x TLSv1.2 "GET / HTTP/1.1""#
        for format in [
            #"log-format "%ci:%cp [%t] %ft %sslv %{+Q}r""#,
            #"%ci:%cp\ [%t]\ %ft\ %sslv\ %{+Q}r"#,
            #"'%ci:%cp [%t] %ft' "%sslv %{+Q}r""#,
            #"%ci:%cp [%t] %ft %sslv %{+Q}r"#,
            #"%{+Q}o %{-Q}ci:%cp [%t] %{-Q}ft %{-Q}sslv %r"#,
        ] {
            let (_, r) = try await AccessLogFixture.read(.haproxy, [line], format: format, zone: Self.utc)
            #expect(r.summary.unparsable == 0, "\(format): \(r.summary.firstProblems)")
            #expect(r.observations.first?.negotiatedVersion == "TLSv1.2", "\(format)")
            #expect(r.observations.first?.firstSeen == AccessLogFixture.date("2026-12-03T16:42:21.5Z"), "\(format)")
        }
    }

    @Test func ipv6ClientAndTimestampWithMilliseconds() async throws {
        let format = "%ci:%cp %Ts.%ms %sslv"
        let line = "2001:db8::7:50123 1796316141.220 TLSv1.3"
        let (_, r) = try await AccessLogFixture.read(.haproxy, [line], format: format)
        let o = try #require(r.observations.first)
        #expect(o.clientAddress == "2001:db8::7")
        #expect(abs(o.firstSeen.timeIntervalSince1970 - 1_796_316_141.220) < 0.0005)
    }

    @Test func hexClientAddress() async throws {
        let (_, r) = try await AccessLogFixture.read(.haproxy, ["7F000001 [03/Dec/2026:16:42:21 +0000] TLSv1.2"],
                                                     format: "%{+X}ci [%T] %sslv")
        #expect(r.observations.first?.clientAddress == "127.0.0.1")
    }

    @Test func haproxysOwnMessagesAreUnparsableLines() async throws {
        let lines = ["[NOTICE]   (16053) : haproxy version is 2.6.12-1+deb12u4", Self.httplogSyslog,
                     "127.0.0.1:53696 [03/Dec/2026:17:08:52.279] tls/1: Connection closed during SSL handshake",
                     "<134>Dec  3 17:08:52 haproxy[1]: 127.0.0.1:53698 [03/Dec/2026:17:08:52.300] tls/1: SSL handshake failure"]
        let (source, r) = try await AccessLogFixture.read(.haproxy, lines, format: nil, zone: Self.utc)
        #expect(r.summary.unparsable == 1)
        #expect(r.summary.firstProblems.first?.line == 1)
        #expect(r.summary.connectionErrors == 2)
        #expect(r.observations.count == 1)
        #expect(source.limitations.contains { $0.hasPrefix("2 connections in the window failed before a request") })
    }

    @Test(arguments: [
        ("%ci:%cp [%tr] %zz", "unknown variable %zz"),
        ("%ci:%cp %sslv", "has no date"),
        ("%ci%cp [%tr]", "%ci and %cp follow each other"),
        (#"log-format "%ci [%tr]"#, "a quote is not closed"),
        ("%ci [%tr] %[ssl_fc_sni", "%[ is not closed"),
    ])
    func unusableFormatsAreOneLineErrors(format: String, message: String) throws {
        let path = try AccessLogFixture.file(["x"])
        let error = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .haproxy, paths: [path], format: format, apiKeyField: nil)
        }
        #expect(error?.code == .unusableFormat)
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }

    @Test func anApiKeyHeaderMustBeDeclared() throws {
        let path = try AccessLogFixture.file(["x"])
        let undeclared = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .haproxy, paths: [path], format: nil, apiKeyField: "X-API-Key")
        }
        #expect(undeclared?.description.contains("hr={User-Agent|X-API-Key}") == true)
        let notCaptured = #expect(throws: AccessLogError.self) {
            try AccessLogSource(kind: .haproxy, paths: [path], format: "hr={User-Agent}", apiKeyField: "X-API-Key")
        }
        #expect(notCaptured?.description.contains("not among the captured request headers") == true)
        // Declared captures read through %[capture.req.hdr(N)] too.
        let source = try AccessLogSource(kind: .haproxy, paths: [path],
                                         format: "hr={Host|X-API-Key} %ci [%tr] %[capture.req.hdr(1)]", apiKeyField: "x-api-key")
        #expect(source.compiled.fields.contains(.apiKey))
    }
}
