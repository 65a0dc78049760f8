import Foundation
import NIOCore
import TLSReport
import TLSWire


extension ProbeSession {
    func scanHTTP(enabled: Bool, protocols: [ProtocolResult]) async -> HTTPResult {
        await scanHTTP(enabled: enabled, tls12OrLater: protocols.contains {
            $0.supported == true && ($0.version == .tls12 || $0.version == .tls13)
        })
    }

    /// `tls12OrLater`: the server speaks TLS 1.2 or 1.3 (known from the enumeration, or earlier from
    /// the connectivity probe's answer).
    func scanHTTP(enabled: Bool, tls12OrLater: Bool) async -> HTTPResult {
        guard enabled else { return HTTPResult(check: .notRun("disabled by --no-http")) }
        guard tls12OrLater else {
            return HTTPResult(check: .notApplicable("the HTTP check needs TLS 1.2 or 1.3 (our HTTPS client's floor)"))
        }
        let host = target.sni ?? target.host
        let hostHeader = target.port == 443 ? host : "\(host.contains(":") ? "[\(host)]" : host):\(target.port)"
        let request = "GET / HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: tlsguard/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        let r = await runFullHandshake(sni: target.sni, minimum: .tlsv12, alpn: ["http/1.1"], httpRequest: request)
        if let error = r.error, r.httpHead == nil { return HTTPResult(check: .error(error)) }
        guard let head = r.httpHead, head.hasPrefix("HTTP/") else {
            return HTTPResult(check: .notApplicable("the port does not answer HTTP/1.1 (no 'HTTP/' status line)"))
        }
        let lines = head.components(separatedBy: "\r\n")
        let status = lines[0]
        let code = status.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let sts = headers.filter { $0.0 == "strict-transport-security" }
        return HTTPResult(check: .completed, statusLine: status, statusCode: code,
                          server: headers.first { $0.0 == "server" }?.1, location: headers.first { $0.0 == "location" }?.1,
                          hsts: HSTSPolicy.parse(sts.first?.1, headerCount: sts.count))
    }
}
