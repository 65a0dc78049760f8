import NIOHTTP1
import Testing
@testable import TLSGateway

@Suite("Proxy header rewriting")
struct ProxyHeadersTests {
    @Test("hop-by-hop fields go, including those the Connection header names (RFC 9110 §7.6.1)")
    func hopByHop() {
        let headers = HTTPHeaders([
            ("Host", "api.example.com"), ("Connection", "keep-alive, X-Secret-Hop"), ("Keep-Alive", "timeout=5"),
            ("X-Secret-Hop", "1"), ("TE", "trailers"), ("Upgrade", "h2c"), ("Accept", "*/*"),
        ])
        let out = ProxyHeaders.strippingHopByHop(headers)
        #expect(out.map(\.name) == ["Host", "Accept"])
    }

    @Test("the client is appended to X-Forwarded-For and Forwarded (RFC 7239 §4, IPv6 quoted)")
    func forwarding() {
        let head = HTTPRequestHead(version: .http1_0, method: .POST, uri: "/v1?x=1", headers: HTTPHeaders([
            ("Host", "api.example.com"), ("X-Forwarded-For", "203.0.113.9"), ("Forwarded", "for=203.0.113.9"),
            ("Content-Length", "3"),
        ]))
        let v4 = ProxyHeaders.upstreamRequest(head, clientAddress: "192.0.2.1")
        #expect(v4.version == .http1_1)
        #expect(v4.uri == "/v1?x=1")
        #expect(v4.headers["X-Forwarded-For"] == ["203.0.113.9, 192.0.2.1"])
        #expect(v4.headers["X-Forwarded-Proto"] == ["https"])
        #expect(v4.headers["X-Forwarded-Host"] == ["api.example.com"])
        #expect(v4.headers["Forwarded"] == ["for=203.0.113.9, for=192.0.2.1;proto=https;host=\"api.example.com\""])
        #expect(v4.headers["Content-Length"] == ["3"])
        let v6 = ProxyHeaders.upstreamRequest(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"), clientAddress: "2001:db8::1")
        #expect(v6.headers["Forwarded"] == ["for=\"[2001:db8::1]\";proto=https"])
    }

    @Test("responses state keep-alive for the client's HTTP version")
    func responseKeepAlive() {
        let upstream = HTTPResponseHead(version: .http1_1, status: .ok, headers: HTTPHeaders([
            ("Content-Length", "2"), ("Connection", "keep-alive"), ("Transfer-Encoding", "chunked"),
        ]))
        let old = ProxyHeaders.downstreamResponse(upstream, version: .http1_0, keepAlive: true, extra: [("Sunset", "x")])
        #expect(old.headers["Connection"] == ["keep-alive"])
        #expect(old.headers["Transfer-Encoding"].isEmpty)
        #expect(old.headers["Sunset"] == ["x"])
        let closing = ProxyHeaders.downstreamResponse(upstream, version: .http1_1, keepAlive: false, extra: [])
        #expect(closing.headers["Connection"] == ["close"])
    }
}
