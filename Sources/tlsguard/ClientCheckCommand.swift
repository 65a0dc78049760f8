import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TLSGateway
import TLSWire

struct ClientCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clientcheck",
        abstract: "Serve the client check: tell any TLS client whether it will still connect after the cutoff.",
        discussion: helpText("""
            The listener accepts TLS 1.0 to 1.3 with legacy suites (3DES included) so that old
            clients can finish a handshake and be told. It answers on every path:

              /                 web page: yes or no at the top, then the facts (no scripts)
              /api/v1/check     JSON (CORS *; ?callback=name for JSONP)
              /a/check          the same JSON at How's My SSL's path (same keys and rating)

            The verdict applies the policy given by the flags (or by the policy section of a
            gateway config with --config) to the client's exact ClientHello, now and at the
            cutoff: "will connect after 2027-06-30: no — maximum version TLS 1.0; …".

            --lookup adds a plain-HTTP listener that answers with the last ClientHello seen from
            the caller's address, for clients that cannot finish any handshake.

              tlsguard clientcheck --listen 0.0.0.0:8443 --cert chain.pem --key key.pem \\
                  --minimum TLSv1.2 --cutoff 2027-06-30 --lookup 0.0.0.0:8080
              curl https://check.example.com:8443/api/v1/check

            In a gateway, the same check is a listener with 'clientCheck: true' or a path on the
            API listeners ('clientCheck: {path: /tls-check}'); see docs/clientcheck.md.
            Exit codes: 0 stopped cleanly, 64 bad usage (one line names the problem), 1 runtime failure.
            """)
    )

    @Option(help: ArgumentHelp("Address to accept TLS on.", valueName: "host:port"))
    var listen: String = "0.0.0.0:8443"

    @Option(help: ArgumentHelp("PEM certificate chain (leaf first).", valueName: "file"))
    var cert: String?

    @Option(help: ArgumentHelp("PEM private key of the certificate.", valueName: "file"))
    var key: String?

    @Option(help: ArgumentHelp("Plain-HTTP lookup address (last ClientHello per caller address).", valueName: "host:port"))
    var lookup: String?

    @Option(help: ArgumentHelp("Minimum version the policy requires: TLSv1.0 … TLSv1.3 (default TLSv1.2).", valueName: "version"))
    var minimum: String?

    @Option(help: ArgumentHelp("The cutoff date: 2027-06-30 or 2027-06-30T00:00:00Z.", valueName: "date"))
    var cutoff: String?

    @Option(help: ArgumentHelp("Judge clients by the policies and certificates of this gateway config instead.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("With --config: judge by this host name's policy (default: the client's SNI).", valueName: "host"))
    var policyHost: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        if config == nil && (cert == nil || key == nil) {
            throw ValidationError("give --cert FILE and --key FILE (or --config FILE)")
        }
        if let problem = GatewayConfiguration.addressProblem(listen) { throw ValidationError("--listen '\(listen)': \(problem)") }
        if let lookup, let problem = GatewayConfiguration.addressProblem(lookup) { throw ValidationError("--lookup '\(lookup)': \(problem)") }
        if let minimum {
            guard let v = ProtocolVersion(parsing: minimum), [.tls10, .tls11, .tls12, .tls13].contains(v) else {
                throw ValidationError("--minimum '\(minimum)' is not TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3")
            }
        }
        if config != nil && (minimum != nil || cutoff != nil) {
            throw ValidationError("--minimum and --cutoff describe a policy; with --config the config's policies apply")
        }
        if let cutoff, GatewayConfiguration.parseDate(cutoff) == nil {
            throw ValidationError("--cutoff '\(cutoff)' is not a date (2027-06-30 or 2027-06-30T00:00:00Z)")
        }
        for (flag, path) in [("--cert", cert), ("--key", key), ("--config", config)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) { throw ValidationError("\(flag): cannot read \(path)") }
        }
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The gateway configuration the flags describe: one client-check listener, no upstream.
    func makeConfiguration() throws(GatewayConfigError) -> GatewayConfiguration {
        let (host, port) = GatewayConfiguration.parseAddress(listen)!
        let listener = GatewayConfiguration.Listener(name: "clientcheck", host: host, port: port, clientCheck: true)
        var settings = GatewayConfiguration.ClientCheckSettings(policyHost: policyHost?.lowercased())
        if let lookup, let (lhost, lport) = GatewayConfiguration.parseAddress(lookup) {
            settings.lookup = .init(name: "clientcheck-lookup", host: lhost, port: lport)
        }
        if let config {
            var c = try GatewayConfiguration.load(path: config)
            c.listeners = [listener]
            c.admin = nil
            c.upstream = nil
            c.records = .init()
            settings.path = nil
            c.clientCheck = settings
            return c
        }
        let policy = HostPolicy(
            name: "default", minimumVersion: minimum.flatMap(ProtocolVersion.init(parsing:)) ?? .tls12, mode: .warn,
            cutoff: cutoff.flatMap(GatewayConfiguration.parseDate))
        let certificate = GatewayConfiguration.Certificate(hosts: [], isDefault: true, chainPath: cert!, keyPath: key!)
        return GatewayConfiguration(
            listeners: [listener], upstream: nil, certificates: [certificate], defaultPolicy: policy, clientCheck: settings)
    }

    func run() async throws {
        let configuration: GatewayConfiguration
        do {
            configuration = try makeConfiguration()
        } catch {
            throw GatewayCommand.usageFailure(error)
        }
        try await GatewayCommand.serve(configuration, logLevel: logLevel, label: "tlsguard.clientcheck", name: "clientcheck")
    }
}
