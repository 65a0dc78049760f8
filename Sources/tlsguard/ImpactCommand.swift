import ArgumentParser
import Foundation
import TLSDemo
import TLSGateway
import TLSImpact
import TLSTelemetry
import TLSWire

struct ImpactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "impact",
        abstract: "Who a TLS policy would refuse, by API key or client, from the gateway's records — before you switch it on.",
        discussion: helpText("""
            Reads the connection and request records a gateway wrote (--db) in a time window and
            judges every distinct client under the policy you test: --min VERSION (enforced, with
            generated RSA and ECDSA certificates and the gateway's default suites), or the policies
            of a gateway config (--config) as they will be at their cutoffs, or at --at DATE (inside
            a brownout window, say). Each distinct ClientHello the gateway stored is replayed through
            the TLS context that policy builds, so a cipher or group tightening is judged as exactly
            as a version minimum; connections without a stored hello are judged by version, and the
            report says how many.

            Totals come first ("1.8 % of connections would be refused: 37 API keys, …"), then one
            group per --by key with connections, requests, share, first and last seen, versions and
            suites offered, the client's name and the reason and fix. --format csv gives one row per
            group, for outreach.

              tlsguard impact --db records.sqlite --since 30d --min TLSv1.2
              tlsguard impact --db records.sqlite --config gateway.yaml --by client
              tlsguard impact --db records.sqlite --config gateway.yaml \\
                  --at 2027-03-01T10:00:00Z --format csv
              tlsguard impact --postgres postgres://tlsguard@db.internal/records
              tlsguard impact --nginx-log /var/log/nginx/access.log \\
                  --log-format "$(cat fmt)" --api-key-field '$http_x_api_key'

            Access logs (nginx, HAProxy, Envoy) have no refused handshakes and no offered maximum:
            clients are judged by the version they negotiated, and the report says so
            (docs/impact-logs.md lists the log formats that make it as exact as a log can be).

            Exit codes: 0 no client would be refused, 1 some would be, 2 the records could not be
            read, 64 usage error (one line names the problem).
            """)
    )

    @Option(help: ArgumentHelp("SQLite records written by `tlsguard gateway` (records.database).", valueName: "file"))
    var db: String?

    @Option(help: ArgumentHelp("The fleet's PostgreSQL that gateways write (records.postgres): postgres://user:pass@host:port/db.", valueName: "url"))
    var postgres: String?

    @Option(name: .customLong("nginx-log"), help: ArgumentHelp("nginx access log(s) instead of records (repeat for several; docs/impact-logs.md).", valueName: "file"))
    var nginxLogs: [String] = []

    @Option(name: .customLong("haproxy-log"), help: ArgumentHelp("HAProxy access log(s) instead of records.", valueName: "file"))
    var haproxyLogs: [String] = []

    @Option(name: .customLong("envoy-log"), help: ArgumentHelp("Envoy JSON access log(s) instead of records.", valueName: "file"))
    var envoyLogs: [String] = []

    @Option(name: .customLong("log-format"), help: ArgumentHelp("The log's format: nginx log_format value (default combined), HAProxy log-format (default httplog's; 'hr={User-Agent|X-API-Key} …' names captured headers), Envoy 'field=key,…'.", valueName: "format"))
    var logFormat: String?

    @Option(name: .customLong("api-key-field"), help: ArgumentHelp("Where a log has the API key: an nginx variable ($http_x_api_key), a HAProxy captured header, an Envoy JSON key.", valueName: "name"))
    var apiKeyField: String?

    @Option(help: ArgumentHelp("Window start: a duration back from now (30d, 12h, 2w) or a date (2026-11-01). Gateway records are read by whole UTC days.", valueName: "when"))
    var since: String = "30d"

    @Option(help: ArgumentHelp("Window end (a date; default now).", valueName: "date"))
    var until: String?

    @Option(help: ArgumentHelp("Test this minimum version, enforced: TLSv1.1, TLSv1.2 or TLSv1.3 (default TLSv1.2 without --config).", valueName: "version"))
    var min: String?

    @Option(help: ArgumentHelp("Test the policies, exceptions, certificates and cipher settings of this gateway config.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("With --config: apply its policy at this instant instead of at each host's cutoff.", valueName: "date"))
    var at: String?

    @Option(help: ArgumentHelp("Group refused clients by apikey, ip, subnet, useragent, ja4, client or sni (default apikey when keys were recorded, else client).", valueName: "key"))
    var by: ImpactGrouping?

    @Option(help: ArgumentHelp("Only records written by this gateway (records.gateway; repeat for several).", valueName: "name"))
    var gateway: [String] = []

    @Option(help: "Output format: text, json or csv.")
    var format: ImpactFormat = .text

    @Option(help: "Write the report to this file instead of standard output.")
    var out: String?

    @Option(help: ArgumentHelp("Text output: show at most this many groups (json and csv list all).", valueName: "n"))
    var limit: Int = 50

    func validate() throws {
        let sources = [db.map { _ in "--db" }, postgres.map { _ in "--postgres" }, nginxLogs.isEmpty ? nil : "--nginx-log", haproxyLogs.isEmpty ? nil : "--haproxy-log",
                       envoyLogs.isEmpty ? nil : "--envoy-log"].compactMap { $0 }
        guard !sources.isEmpty else { throw ValidationError("give the records to read: --db FILE (or --nginx-log, --haproxy-log, --envoy-log FILE)") }
        guard sources.count == 1 else { throw ValidationError("\(sources.joined(separator: " and ")): give one source") }
        if let db, !FileManager.default.isReadableFile(atPath: db) { throw ValidationError("--db: cannot read \(db)") }
        if let postgres, let problem = Self.postgresProblem(postgres) { throw ValidationError("--postgres: \(problem)") }
        if (db != nil || postgres != nil) && (logFormat != nil || apiKeyField != nil) {
            throw ValidationError("--log-format and --api-key-field describe an access log; records need neither")
        }
        if let config, !FileManager.default.isReadableFile(atPath: config) { throw ValidationError("--config: cannot read \(config)") }
        if min != nil && config != nil {
            throw ValidationError("--min and --config both describe the policy to test: give one")
        }
        if at != nil && config == nil { throw ValidationError("--at needs --config (the policy whose state at that date is tested)") }
        if let at, GatewayConfiguration.parseDate(at) == nil { throw ValidationError("--at '\(at)' is not a date (2027-06-30 or 2027-06-30T10:00:00Z)") }
        if let min {
            guard let v = ProtocolVersion(parsing: min), [.tls10, .tls11, .tls12, .tls13].contains(v) else {
                throw ValidationError("--min '\(min)' is not TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3")
            }
        }
        if Self.parseWhen(since, now: Date()) == nil { throw ValidationError("--since '\(since)' is not a duration (30d, 12h, 2w) or a date") }
        if let until, GatewayConfiguration.parseDate(until) == nil { throw ValidationError("--until '\(until)' is not a date") }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
        try OutputDestination.validate(out)
    }

    func run() async throws {
        try await reportingCLIErrors {
            let now = Date()
            let window = (since: Self.parseWhen(since, now: now)!, until: until.flatMap(GatewayConfiguration.parseDate) ?? now)
            let policy = try makePolicy(now: now)
            let source = try makeSource()
            let report: ImpactReport
            do {
                report = try await ImpactAnalyzer(policy: policy).run(source: source, since: window.since, until: window.until, grouping: by,
                                                                 gateways: Set(gateway))
            } catch {
                if let store = source as? PostgresRecordStore { await store.close() }
                throw CLIError("cannot read \(source.sourceDescription): \(error)", code: ExitStatus.unscannable)
            }
            if let store = source as? PostgresRecordStore { await store.close() }
            if let logs = source as? AccessLogSource {
                for problem in logs.problems { Terminal.printError("warning: \(problem)") }
            }
            let text: String
            switch format {
            case .text: text = ImpactTextRenderer(color: out == nil && Terminal.colorEnabled, limit: limit).render(report)
            case .json: text = try ImpactJSON.render(report)
            case .csv: text = ImpactCSV.render(report)
            }
            try OutputDestination.write(text, to: out)
            if report.totals.refusedConnections > 0 { throw ExitCode(ExitStatus.profileFailed) }
        }
    }

    /// The records or logs to read.
    func makeSource() throws -> any ImpactSource {
        if let db {
            do {
                return try TelemetryStore(path: db)
            } catch {
                throw CLIError("--db \(db): \(error)", code: ExitStatus.unscannable)
            }
        }
        if let postgres {
            do {
                return try PostgresRecordStore(url: postgres)
            } catch {
                throw CLIError("--postgres: \(error)", code: ExitStatus.usage)
            }
        }
        let (kind, paths, flag): (AccessLogKind, [String], String) =
            !nginxLogs.isEmpty ? (.nginx, nginxLogs, "--nginx-log")
            : !haproxyLogs.isEmpty ? (.haproxy, haproxyLogs, "--haproxy-log") : (.envoy, envoyLogs, "--envoy-log")
        do {
            return try AccessLogSource(kind: kind, paths: paths, format: logFormat, apiKeyField: apiKeyField)
        } catch {
            // A missing file or a format that cannot be read: usage, named.
            throw CLIError("\(flag): \(error)", code: ExitStatus.usage)
        }
    }

    /// The runtime of the policy under test.
    func makePolicy(now: Date) throws -> ImpactPolicy {
        if let config {
            do {
                let configuration = try GatewayConfiguration.load(path: config)
                let runtime = try GatewayRuntime(configuration: configuration, clock: .system)
                if let at, let date = GatewayConfiguration.parseDate(at) {
                    return ImpactPolicy(runtime: runtime, moment: .at(date), summary: "\(config) at \(ImpactTextRenderer.format(date))", now: now)
                }
                return ImpactPolicy(runtime: runtime, moment: .enforcing,
                                    summary: "\(config) as each host's policy enforces (at its cutoff, or now without one)", now: now)
            } catch {
                // Typed throws: only GatewayConfigError reaches here (`catch let e as …` crashes swiftc 6.3).
                throw CLIError("\(error)", code: ExitStatus.usage)
            }
        }
        let minimum = min.flatMap(ProtocolVersion.init(parsing:)) ?? .tls12
        return try Self.minimumPolicy(minimum, now: now)
    }

    /// `--min`: one enforcing default policy served with a generated RSA-2048 and ECDSA P-256
    /// certificate (clients that can verify only one kind still get it) and the default suites.
    static func minimumPolicy(_ minimum: ProtocolVersion, now: Date) throws -> ImpactPolicy {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tlsguard-impact-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let certificates = try DemoCertificate.writePair(into: folder, commonName: "impact.invalid", defaultKey: nil)
            let policy = HostPolicy(name: "default", minimumVersion: minimum, mode: .enforce)
            let configuration = GatewayConfiguration(listeners: [], upstream: nil, certificates: certificates, defaultPolicy: policy)
            let runtime = try GatewayRuntime(configuration: configuration, clock: .system)
            return ImpactPolicy(runtime: runtime, moment: .at(now),
                                summary: "minimum \(minimum.displayName), enforced (the gateway's default suites; RSA and ECDSA certificates)",
                                now: now)
        } catch {
            throw CLIError("cannot build the TLS contexts for --min \(minimum.displayName): \(error)", code: ExitStatus.unscannable)
        }
    }

    /// Why `url` is not a PostgreSQL URL (nil: it is); the password never appears.
    static func postgresProblem(_ url: String) -> String? {
        do {
            _ = try PostgresURL(parsing: url)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// `30d`, `12h`, `90m`, `2w` back from `now`, or a date.
    static func parseWhen(_ text: String, now: Date) -> Date? {
        let units: [Character: Double] = ["m": 60, "h": 3600, "d": 86400, "w": 7 * 86400]
        if let unit = text.last, let seconds = units[unit], let n = Double(text.dropLast()), n >= 0 {
            return now.addingTimeInterval(-n * seconds)
        }
        return GatewayConfiguration.parseDate(text)
    }
}

enum ImpactFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv
}

extension ImpactGrouping: ExpressibleByArgument {}
