import Foundation
import NIOHTTP1

/// Routes and answers the client check's HTTP requests. Under a prefix `P` (empty on a
/// client-check listener and on the lookup listener):
///
/// - `P/` — the web page (HTML, no scripts);
/// - `P/api/v1/check` — the JSON report (CORS `*`; `?callback=name` gives JSONP like How's My SSL);
/// - `P/a/check` — the same JSON at How's My SSL's path, for scripts written for it.
enum ClientCheckHTTP {
    enum Route: Equatable { case page, json, notFound }

    /// The route for a request URI, or nil when the URI is not under the prefix.
    static func route(uri: String, prefix: String) -> Route? {
        let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        guard path == prefix || path.hasPrefix(prefix + "/") else { return nil }
        let rest = String(path.dropFirst(prefix.count))
        switch rest {
        case "", "/", "/index.html": return .page
        case "/api/v1/check", "/a/check": return .json
        default: return .notFound
        }
    }

    /// JSONP callback name from the query (letters, digits, `_`, `.`, `$`), as How's My SSL sanitises it.
    static func callback(uri: String) -> String? {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0] == "callback" else { continue }
            let name = kv[1].filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "$" }
            return name.isEmpty ? nil : String(name.prefix(64))
        }
        return nil
    }

    /// The whole response for a request: head and body (empty for HEAD and OPTIONS).
    /// `report` is asked only when the route needs it; nil means "no ClientHello known".
    static func respond(
        method: HTTPMethod, uri: String, prefix: String, version: HTTPVersion, keepAlive: Bool,
        clientAddress: String, historyMinutes: Int, report: () -> ClientCheckReport?
    ) -> (HTTPResponseHead, String) {
        var headers = HTTPHeaders()
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Access-Control-Allow-Origin", value: "*")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let route = route(uri: uri, prefix: prefix) ?? .notFound
        let jsonPath = prefix + "/api/v1/check"

        func finish(_ status: HTTPResponseStatus, _ contentType: String, _ body: String) -> (HTTPResponseHead, String) {
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            let send = method == .HEAD ? "" : body
            return (HTTPResponseHead(version: version, status: status, headers: headers), send)
        }
        func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> (HTTPResponseHead, String) {
            finish(status, "application/json", encode(["error": code, "message": message]))
        }

        if method == .OPTIONS {
            headers.add(name: "Access-Control-Allow-Methods", value: "GET, HEAD, OPTIONS")
            headers.add(name: "Access-Control-Max-Age", value: "86400")
            headers.add(name: "Content-Length", value: "0")
            return (HTTPResponseHead(version: version, status: .noContent, headers: headers), "")
        }
        guard method == .GET || method == .HEAD else {
            headers.add(name: "Allow", value: "GET, HEAD, OPTIONS")
            return error(.methodNotAllowed, "method_not_allowed", "the client check answers GET, HEAD and OPTIONS")
        }
        switch route {
        case .notFound:
            return error(.notFound, "not_found", "the client check serves \(prefix)/ (page) and \(jsonPath) (JSON)")
        case .page:
            headers.add(name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'")
            headers.add(name: "Referrer-Policy", value: "no-referrer")
            guard let r = report() else {
                return finish(.notFound, "text/html; charset=utf-8", ClientCheckPage.notSeen(address: clientAddress, minutes: historyMinutes))
            }
            return finish(.ok, "text/html; charset=utf-8", ClientCheckPage.render(r, jsonPath: jsonPath))
        case .json:
            guard let r = report() else {
                return error(.notFound, "no_client_hello",
                             "no TLS ClientHello from \(clientAddress) in the last \(historyMinutes) minutes: connect to the check's HTTPS address first")
            }
            if let cb = callback(uri: uri) {
                // JSONP answers are always 200, like How's My SSL's.
                return finish(.ok, "application/javascript; charset=utf-8", "\(cb)(\(r.json().trimmingCharacters(in: .whitespacesAndNewlines)));\n")
            }
            return finish(.ok, "application/json", r.json())
        }
    }

    static func encode(_ object: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (String(data: (try? encoder.encode(object)) ?? Data(), encoding: .utf8) ?? "{}") + "\n"
    }
}
