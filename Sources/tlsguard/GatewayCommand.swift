import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TLSGateway

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the TLS deprecation gateway: terminate TLS, apply the version policy, proxy, record.",
        discussion: helpText("""
            The gateway reads each ClientHello before TLS starts, decides per host name (minimum
            version, observe/warn/brownout/enforce, cutoff date, exceptions), then completes the
            handshake and proxies to the upstream, or refuses with a protocol_version alert. Every
            connection, refused ones included, is a row in the SQLite records database.

              tlsguard gateway --check-config gateway.yaml
              tlsguard gateway --config gateway.yaml

            SIGHUP reloads the config file and certificates (open connections are kept); SIGTERM
            drains and stops. Exit codes: 0 ok, 64 bad usage or configuration (one line names the
            file and the problem), 1 runtime failure (e.g. a listener address in use).
            """)
    )

    @Option(name: .customLong("config"), help: ArgumentHelp("Run with this YAML config file.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("check-config"), help: ArgumentHelp("Validate this config file (certificates and keys included) and exit.", valueName: "file"))
    var checkConfig: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        if (config == nil) == (checkConfig == nil) {
            throw ValidationError("give exactly one of --config FILE or --check-config FILE")
        }
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        let path = config ?? checkConfig!
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.load(path: path)
        } catch {
            throw Self.usageFailure(error)
        }
        if checkConfig != nil {
            // Certificates, keys and cipher strings are only proven by building the contexts.
            do {
                let runtime = try GatewayRuntime(configuration: configuration, clock: .system)
                print(GatewaySummary.render(runtime.configuration, path: path), terminator: "")
            } catch {
                throw Self.usageFailure(error)
            }
            return
        }

        try await Self.serve(configuration, logLevel: logLevel, label: "tlsguard.gateway", name: path)
    }

    /// Runs a gateway until SIGTERM/SIGINT (SIGHUP reloads): logging to stderr at `logLevel`; a
    /// configuration problem exits 64, a failure at run time 1, each with one line naming `name`.
    static func serve(_ configuration: GatewayConfiguration, logLevel: String, label: String, name: String) async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: label)
        let gateway: TLSGateway.Gateway
        do {
            gateway = try TLSGateway.Gateway(configuration: configuration, logger: logger)
        } catch let error as GatewayConfigError {
            throw Self.usageFailure(error)
        } catch {
            FileHandle.standardError.write(Data("tlsguard: \(name): \(error)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        let group = ServiceGroup(
            services: [GatewayService(gateway: gateway)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            let what = label.split(separator: ".").last.map(String.init) ?? "gateway"
            FileHandle.standardError.write(Data("tlsguard: \(name): \(what) failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Prints the one-line configuration error and returns the usage exit code.
    static func usageFailure(_ error: GatewayConfigError) -> ExitCode {
        FileHandle.standardError.write(Data("tlsguard: \(error)\n".utf8))
        return ExitCode(ExitStatus.usage)
    }
}
