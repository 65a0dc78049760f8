import Foundation
import NIOHTTP1
import TLSPolicy
import TLSWire

/// The words and headers a legacy client gets: deprecation headers in warn mode and the
/// explain answer (HTTP 426 by default) when a policy explains instead of proxying.
struct DeprecationNotice {
    var policy: HostPolicy
    var clientVersion: ProtocolVersion
    var serverName: String?
    var rule: String
    var now: Date

    var cutoffText: String? { policy.cutoff.map(PolicyEngine.format) }

    /// `Deprecation` (RFC 9745 §2: a structured date, `@` + Unix seconds), `Sunset` (RFC 8594 §3:
    /// an HTTP-date), `Link` with rel="deprecation" (RFC 9745 §3), and a sentence naming the
    /// client's version in `TLSGuard-Warning`.
    var headers: [(String, String)] {
        var out: [(String, String)] = [("Deprecation", "@\(Int(now.timeIntervalSince1970))")]
        if let cutoff = policy.cutoff { out.append(("Sunset", Self.httpDate(cutoff))) }
        if let link = policy.deprecationLink ?? policy.explain?.link { out.append(("Link", "<\(link)>; rel=\"deprecation\"; type=\"text/html\"")) }
        out.append(("TLSGuard-Warning", sentence))
        return out
    }

    var sentence: String {
        var s = "\(clientVersion.displayName) is deprecated on \(serverName ?? "this service"): use \(policy.minimumVersion.displayName) or newer"
        if let cutoff = cutoffText { s += "; connections below it will be refused from \(cutoff)" }
        return s
    }

    var fix: String { ClientRemediation.upgradeSentence(minimumVersion: policy.minimumVersion) }

    /// The explain response: status, headers and body.
    func explainResponse(_ settings: ExplainSettings) -> (HTTPResponseHead, String) {
        let status = HTTPResponseStatus(statusCode: settings.status)
        var headers = HTTPHeaders()
        let body: String
        switch settings.format {
        case .json:
            headers.add(name: "Content-Type", value: "application/json")
            var object: [String: String] = [
                "error": "tls_version_unsupported",
                "host": serverName ?? "",
                "clientVersion": clientVersion.displayName,
                "minimumVersion": policy.minimumVersion.displayName,
                "rule": rule,
                "message": settings.message ?? sentence,
                "fix": fix,
            ]
            if let cutoff = cutoffText { object["cutoff"] = cutoff }
            if let link = settings.link ?? policy.deprecationLink { object["link"] = link }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = (String(data: (try? encoder.encode(object)) ?? Data(), encoding: .utf8) ?? "{}") + "\n"
        case .html:
            headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
            let link = (settings.link ?? policy.deprecationLink).map { "<p><a href=\"\(Self.escape($0))\">How to upgrade</a></p>" } ?? ""
            let cutoff = cutoffText.map { "<p>Cutoff: <strong>\($0)</strong>. After it, this client cannot connect at all.</p>" } ?? ""
            body = """
                <!doctype html>
                <html><head><meta charset="utf-8"><title>Upgrade your TLS version</title></head>
                <body><h1>Your client uses \(Self.escape(clientVersion.displayName))</h1>
                <p>\(Self.escape(settings.message ?? sentence)).</p>
                \(cutoff)<p>\(Self.escape(fix))</p>\(link)
                </body></html>

                """
        }
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to; RFC 2817 §3 gives TLS/x.y.
        if settings.status == 426 { headers.add(name: "Upgrade", value: "TLS/\(policy.minimumVersion == .tls13 ? "1.3" : "1.2"), HTTP/1.1") }
        headers.add(name: "Connection", value: "close")
        for (name, value) in self.headers where name != "TLSGuard-Warning" { headers.add(name: name, value: value) }
        return (HTTPResponseHead(version: .http1_1, status: status, headers: headers), body)
    }

    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
