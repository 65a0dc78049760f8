import Foundation
import NIOHTTP1

/// Header rewriting for the reverse proxy: hop-by-hop fields removed (RFC 9110 §7.6.1), the
/// client named in `X-Forwarded-For`/`-Proto`/`-Host` and `Forwarded` (RFC 7239 §4).
enum ProxyHeaders {
    /// Connection-specific fields that never cross a proxy.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade",
    ]

    /// Removes hop-by-hop fields, including those the Connection header names.
    static func strippingHopByHop(_ headers: HTTPHeaders) -> HTTPHeaders {
        var named = hopByHop
        for value in headers["connection"] {
            for token in value.split(separator: ",") { named.insert(token.trimmingCharacters(in: .whitespaces).lowercased()) }
        }
        var out = HTTPHeaders()
        for (name, value) in headers where !named.contains(name.lowercased()) { out.add(name: name, value: value) }
        return out
    }

    /// The request head sent upstream: HTTP/1.1, keep-alive, forwarding fields appended.
    static func upstreamRequest(_ head: HTTPRequestHead, clientAddress: String) -> HTTPRequestHead {
        var headers = strippingHopByHop(head.headers)
        let host = head.headers.first(name: "host")
        let previous = headers["x-forwarded-for"].joined(separator: ", ")
        headers.remove(name: "x-forwarded-for")
        headers.add(name: "X-Forwarded-For", value: previous.isEmpty ? clientAddress : "\(previous), \(clientAddress)")
        headers.replaceOrAdd(name: "X-Forwarded-Proto", value: "https")
        if let host { headers.replaceOrAdd(name: "X-Forwarded-Host", value: host) }
        // RFC 7239 §6: IPv6 addresses are quoted and bracketed.
        let node = clientAddress.contains(":") ? "\"[\(clientAddress)]\"" : clientAddress
        var element = "for=\(node);proto=https"
        if let host { element += ";host=\"\(host.replacingOccurrences(of: "\"", with: ""))\"" }
        let forwarded = headers["forwarded"].joined(separator: ", ")
        headers.remove(name: "forwarded")
        headers.add(name: "Forwarded", value: forwarded.isEmpty ? element : "\(forwarded), \(element)")
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The response head sent to the client, with keep-alive stated for its HTTP version.
    static func downstreamResponse(_ head: HTTPResponseHead, version: HTTPVersion, keepAlive: Bool, extra: [(String, String)]) -> HTTPResponseHead {
        var headers = strippingHopByHop(head.headers)
        for (name, value) in extra { headers.add(name: name, value: value) }
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if version == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: version, status: head.status, headers: headers)
    }
}
