import TLSReport
import TLSWire

/// TLS compression (CRIME): a hello offering DEFLATE (RFC 3749) before null. One connection.
struct CompressionCheck: ScanCheck {
    static let step = ScanStep.compression
    /// The best version below TLS 1.3 (nil: only TLS 1.3) and its accepted suites.
    var version: ProtocolVersion?
    var suites: [CipherSuite]

    func run(_ probes: ProbeSession) async -> Finding {
        var f = Finding(.compression)
        guard let v = version else {
            f.check = .notApplicable("TLS 1.3 has no compression and no version below it is offered")
            return f
        }
        var b = ClientHelloBuilder(version: v, cipherSuites: suites, serverName: probes.target.sni)
        b.compressionMethods = [1, 0] // DEFLATE (RFC 3749), then null
        let outcome = await probes.probe(b.build(), stopAt: .serverHello)
        guard let sh = outcome.serverHello else {
            f.check = .error("a \(v.displayName) hello offering DEFLATE got \(probes.describe(outcome))")
            return f
        }
        f.seen = sh.compressionMethod != 0
        f.evidence = sh.compressionMethod != 0
            ? "the server chose compression method \(sh.compressionMethod) (DEFLATE)"
            : "offered DEFLATE and null; the server chose null"
        return f
    }
}
