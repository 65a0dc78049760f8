import Foundation
import NIOCore
import TLSReport
import TLSWire

/// The HTTP check: `GET /` over TLS, the response head read for the status, the banner and HSTS.
///
/// Two clients: swift-nio-ssl (BoringSSL) for the usual TLS 1.2/1.3 server, and our own TLS
/// 1.0–1.2 client (`TLS12ClientStateMachine`) for the servers BoringSSL cannot reach — TLS 1.0/1.1
/// only, or only suites BoringSSL does not offer (DHE, the CBC-SHA256 suites). Either way a failure
/// is reported in our own words, never in BoringSSL's.
extension ProbeSession {
    /// The TLS 1.2 suites swift-nio-ssl's client offers (its default cipher string on BoringSSL,
    /// which has no DHE): ECDHE and RSA key exchange with AES-GCM, ChaCha20-Poly1305 and AES-CBC-SHA.
    static let boringSSLTLS12Suites: Set<CipherSuite> = Set([
        0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9, 0xC009, 0xC00A, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035,
    ].map { CipherSuite($0) })

    /// swift-nio-ssl can handshake with a server that has these versions and suites.
    static func boringSSLCanConnect(_ protocols: [ProtocolResult]) -> Bool {
        protocols.supportedVersions.contains(.tls13)
            || protocols.acceptedSuites(.tls12).contains { boringSSLTLS12Suites.contains($0) }
    }

    /// The version and suites our own client uses (the HTTP, resumption and renegotiation checks):
    /// the highest of TLS 1.2, 1.1, 1.0 that has accepted suites we speak, ECDHE with AES-GCM first
    /// (the cheapest for us), the rest in the order the scan found them.
    static func ownClientPlan(_ protocols: [ProtocolResult]) -> (version: ProtocolVersion, suites: [CipherSuite])? {
        for version in [ProtocolVersion.tls12, .tls11, .tls10] {
            let suites = protocols.acceptedSuites(version).filter { TLS12SuiteParameters.forSuite($0)?.usable(in: version) == true }
            guard !suites.isEmpty else { continue }
            let modern = suites.filter { s in TLS12SuiteParameters.modern.contains { $0.suite == s } }
            return (version, modern + suites.filter { !modern.contains($0) })
        }
        return nil
    }
}

/// One connection: swift-nio-ssl first where it can reach the server, else our own client.
struct HTTPCheck: ScanCheck {
    static let step = ScanStep.http

    /// Before the enumeration (the connectivity probe negotiated TLS 1.3, or TLS 1.2 with a suite
    /// swift-nio-ssl offers), or after it with what it found.
    enum When: Sendable {
        case early
        /// `boringSSLFailed`: the early check's swift-nio-ssl handshake already failed, so it is not tried again.
        case afterEnumeration([ProtocolResult], boringSSLFailed: Bool)
    }

    var enabled: Bool
    var when: When

    /// nil only early, when swift-nio-ssl's handshake failed (the caller then runs the check
    /// again after the enumeration).
    func run(_ probes: ProbeSession) async -> HTTPResult? {
        guard enabled else { return HTTPResult(check: .notRun("disabled by --no-http")) }
        switch when {
        case .early:
            if case .answered(let result) = await httpOverBoringSSL(probes) { return result }
            return nil
        case .afterEnumeration(let protocols, let boringSSLFailed):
            return await afterEnumeration(probes, protocols, boringSSLFailed: boringSSLFailed)
        }
    }

    /// swift-nio-ssl where it can connect, otherwise (or when its handshake fails) our own client
    /// on a version and suites the enumeration found.
    private func afterEnumeration(_ probes: ProbeSession, _ protocols: [ProtocolResult], boringSSLFailed: Bool) async -> HTTPResult {
        let supported = protocols.supportedVersions
        guard !supported.isEmpty else { return HTTPResult(check: .notApplicable("no protocol version is offered")) }
        var failure: String? = boringSSLFailed ? Self.boringSSLHandshakeFailed : nil
        if !boringSSLFailed, ProbeSession.boringSSLCanConnect(protocols) {
            switch await httpOverBoringSSL(probes) {
            case .answered(let result): return result
            case .handshakeFailed(let why): failure = why
            }
        }
        guard let plan = ProbeSession.ownClientPlan(protocols) else {
            if let failure { return HTTPResult(check: .error(failure)) }
            let versions = supported.filter { $0 >= .tls10 && $0 <= .tls12 }
            return HTTPResult(check: .error(versions.isEmpty
                ? "the server offers only \(supported.map(\.displayName).joined(separator: ", ")), which our HTTPS clients do not speak"
                : "none of the suites the server accepts is one our HTTPS clients speak (AES-GCM or AES-CBC with ECDHE, DHE or RSA)"))
        }
        return await httpOverOwnClient(probes, plan.version, suites: plan.suites)
    }

    enum HTTPAttempt: Sendable {
        case answered(HTTPResult)
        /// No handshake: another client may still get an answer.
        case handshakeFailed(String)
    }

    static let boringSSLHandshakeFailed = "our TLS 1.2/1.3 HTTPS client could not complete a handshake with the server"

    func httpRequest(_ target: ScanTarget) -> String {
        let host = target.sni ?? target.host
        let hostHeader = target.port == 443 ? host : "\(host.contains(":") ? "[\(host)]" : host):\(target.port)"
        return "GET / HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: tlsguard/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    }

    private func httpOverBoringSSL(_ probes: ProbeSession) async -> HTTPAttempt {
        let r = await probes.runFullHandshake(
            sni: probes.target.sni, minimum: .tlsv12, alpn: ["http/1.1"], httpRequest: httpRequest(probes.target))
        if r.httpHead == nil, r.error != nil {
            // swift-nio-ssl's errors carry BoringSSL's reason codes and build paths: not for a report.
            guard r.version != nil else { return .handshakeFailed(Self.boringSSLHandshakeFailed) }
            return .answered(HTTPResult(check: .error("the server sent no HTTP response head after the \(r.version?.displayName ?? "TLS") handshake")))
        }
        return .answered(Self.httpResult(head: r.httpHead))
    }

    private func httpOverOwnClient(_ probes: ProbeSession, _ version: ProtocolVersion, suites: [CipherSuite]) async -> HTTPResult {
        var config = TLS12ClientStateMachine.Configuration(serverName: probes.target.sni, cipherSuites: suites)
        config.version = version
        config.requestTicket = false
        config.httpRequest = httpRequest(probes.target)
        let r = await probes.handshake12(config)
        if !r.established {
            return HTTPResult(check: .error("our \(version.displayName) handshake for the HTTP request failed: \(safeLine(r.error?.detail ?? "no result"))"))
        }
        if r.httpHead == nil {
            let why = r.error.map { safeLine($0.detail) } ?? "the server closed the connection"
            return HTTPResult(check: .error("no HTTP response head after the \(r.serverHello.flatMap { try? $0.negotiatedVersion() }?.displayName ?? version.displayName) handshake: \(why)"))
        }
        return Self.httpResult(head: r.httpHead)
    }

    /// The response head read into status, banner, redirect and HSTS.
    static func httpResult(head: String?) -> HTTPResult {
        guard let head, head.hasPrefix("HTTP/") else {
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
