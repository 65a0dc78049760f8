import TLSReport
import TLSWire

/// TLS_FALLBACK_SCSV (RFC 7507): a hello for the second-highest version with the SCSV must get
/// inappropriate_fallback. One connection.
struct FallbackSCSVCheck: ScanCheck {
    static let step = ScanStep.fallbackSCSV
    var supported: [ProtocolVersion]
    /// Accepted suites by version.
    var accepted: [ProtocolVersion: [CipherSuite]]

    func run(_ probes: ProbeSession) async -> Finding {
        var f = Finding(.fallbackSCSV)
        let versions = supported.filter { $0 >= .sslv3 }.sorted()
        guard versions.count >= 2 else {
            f.check = .notApplicable("only one protocol version is offered: there is nothing to fall back to")
            return f
        }
        let lower = versions[versions.count - 2]
        var b = ClientHelloBuilder(version: lower, cipherSuites: accepted[lower] ?? [], serverName: probes.target.sni)
        b.fallbackSCSV = true
        let outcome = await probes.probe(b.build(), stopAt: .serverHello)
        if let alert = outcome.flight?.alert, alert.alertDescription == .inappropriateFallback {
            f.seen = false
            f.evidence = "a \(lower.displayName) hello with TLS_FALLBACK_SCSV got inappropriate_fallback"
        } else if let sh = outcome.serverHello {
            f.seen = true
            let v = (try? sh.negotiatedVersion()) ?? sh.legacyVersion
            f.evidence = "a \(lower.displayName) hello with TLS_FALLBACK_SCSV was accepted with \(v.displayName), "
                + "although the server supports \(versions.last!.displayName)"
        } else {
            f.check = .error("a \(lower.displayName) hello with TLS_FALLBACK_SCSV got \(probes.describe(outcome))")
        }
        return f
    }
}

/// The TLS 1.3 downgrade sentinel (RFC 8446 §4.1.3): a server with TLS 1.3 ends ServerHello.random
/// in DOWNGRD when it answers a TLS 1.2 or older hello. Read from the enumeration's ServerHellos
/// (`ProbeSession.sentinels`); one connection per lower version (two at most) only when it has none.
struct DowngradeSentinelCheck: ScanCheck {
    static let step = ScanStep.downgradeSentinel
    var supported: [ProtocolVersion]
    var accepted: [ProtocolVersion: [CipherSuite]]

    func run(_ probes: ProbeSession) async -> Finding {
        var f = Finding(.downgradeSentinel)
        guard supported.contains(.tls13) else {
            f.check = .notApplicable("TLS 1.3 is not offered")
            return f
        }
        let lower = [ProtocolVersion.tls12, .tls11, .tls10].filter { supported.contains($0) }
        guard !lower.isEmpty else {
            f.check = .notApplicable("no version below TLS 1.3 is offered")
            return f
        }
        var missing: [String] = []
        var seen: [String] = []
        for v in lower.prefix(2) {
            let sentinel: ServerHello.DowngradeSentinel?
            if let noted = probes.sentinels.withLockedValue({ $0[v] }) {
                sentinel = noted // the enumeration's own ServerHello for a v hello: no connection
            } else {
                let outcome = await probes.probe(probes.hello(v, suites: accepted[v] ?? []), stopAt: .serverHello)
                guard let sh = outcome.serverHello else {
                    f.check = .error("a \(v.displayName) hello got \(probes.describe(outcome))")
                    return f
                }
                sentinel = sh.downgradeSentinel
            }
            let expected: ServerHello.DowngradeSentinel = v == .tls12 ? .tls12 : .tls11OrBelow
            if sentinel == expected { seen.append(v.displayName) } else { missing.append(v.displayName) }
        }
        f.seen = !missing.isEmpty
        f.evidence = missing.isEmpty
            ? "ServerHello.random ends in DOWNGRD for \(seen.joined(separator: " and ")) hellos"
            : "ServerHello.random lacks the DOWNGRD sentinel for \(missing.joined(separator: " and ")) hellos"
        return f
    }
}
