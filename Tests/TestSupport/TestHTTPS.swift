// Test support: HTTPS clients driven through the curl and openssl CLIs, returning everything a
// test needs to check: status, headers, body, the TLS alert a refusal carried. Foundation only.

import Foundation

/// One curl run's result.
struct CurlResult: Sendable {
    /// curl's exit status (0 ok; 35 TLS handshake failure; 52 empty reply; 56 receive failure).
    var exitCode: Int32
    /// The HTTP status, or 0 without a response.
    var status: Int
    /// Response header fields, names lowercased, of the final response.
    var headers: [String: String]
    var body: String
    var stderr: String

    /// The `SSL alert number N` OpenSSL reported, if the handshake was refused with an alert.
    var alertNumber: Int? { TestHTTPS.alertNumber(in: stderr) }

    func json() -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }
}

enum TestHTTPS {
    /// curl flags per TLS version: exactly that version, legacy suites allowed (OpenSSL 3 needs
    /// @SECLEVEL=0 for TLS 1.0/1.1).
    static func curlVersionFlags(_ version: String) -> [String] {
        switch version {
        case "1.0": return ["--tlsv1.0", "--tls-max", "1.0", "--ciphers", "DEFAULT:@SECLEVEL=0"]
        case "1.1": return ["--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT:@SECLEVEL=0"]
        case "1.2": return ["--tlsv1.2", "--tls-max", "1.2"]
        case "1.3": return ["--tlsv1.3", "--tls-max", "1.3"]
        default: return []
        }
    }

    /// `curl -sS -k -i https://HOST:PORT/PATH`, with HOST resolved to 127.0.0.1 (so HOST is the SNI),
    /// or to 127.0.0.1 directly (no SNI) when `host` is nil.
    static func curl(
        port: Int, host: String? = "localhost", path: String = "/", tls: String? = nil, headers: [String] = [],
        method: String? = nil, data: String? = nil, dataFile: String? = nil, timeout: TimeInterval = 15,
        extra: [String] = []
    ) throws -> CurlResult {
        var arguments = ["-sS", "-k", "-i", "--max-time", String(Int(timeout))]
        let url: String
        if let host {
            arguments += ["--resolve", "\(host):\(port):127.0.0.1"]
            url = "https://\(host):\(port)\(path)"
        } else {
            url = "https://127.0.0.1:\(port)\(path)"
        }
        if let tls { arguments += curlVersionFlags(tls) }
        for h in headers { arguments += ["-H", h] }
        if let method { arguments += ["-X", method] }
        if let data { arguments += ["--data-binary", data] }
        if let dataFile { arguments += ["--data-binary", "@\(dataFile)"] }
        arguments += extra
        arguments.append(url)
        let result = try TestProcess.run("/usr/bin/curl", arguments, timeout: timeout + 5)
        return parse(result)
    }

    static func parse(_ result: TestProcessResult) -> CurlResult {
        var status = 0
        var headers: [String: String] = [:]
        var body = ""
        var rest = Substring(result.stdout)
        // Skip interim (1xx) responses; keep the last header block.
        while rest.hasPrefix("HTTP/") {
            guard let end = rest.range(of: "\r\n\r\n") else { break }
            let block = rest[..<end.lowerBound]
            rest = rest[end.upperBound...]
            let lines = block.components(separatedBy: "\r\n")
            status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
            headers = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            if status >= 200 { break }
        }
        body = String(rest)
        return CurlResult(exitCode: result.status, status: status, headers: headers, body: body, stderr: result.stderr)
    }

    /// Reads "SSL alert number 70" (OpenSSL's wording for a received alert).
    static func alertNumber(in text: String) -> Int? {
        guard let range = text.range(of: "alert number ") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// One `openssl s_client` handshake: what was negotiated, and the alert if it was refused.
    static func sClient(port: Int, versionFlag: String, servername: String? = "localhost", extra: [String] = []) throws -> (negotiation: OpenSSLClient.Negotiation?, alert: Int?, output: String) {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", versionFlag, "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
                         "-no-CAfile", "-no-CApath", "-no-CAstore"]
        if let servername { arguments += ["-servername", servername] } else { arguments.append("-noservername") }
        arguments += extra
        let result = try TestProcess.run(TestTools.opensslPath, arguments, timeout: 10)
        let negotiation = result.succeeded ? OpenSSLClient.parseNegotiation(result.stdout) : nil
        return (negotiation, alertNumber(in: result.stderr + result.stdout), result.stdout + result.stderr)
    }
}
