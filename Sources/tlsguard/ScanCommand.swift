import ArgumentParser
import Foundation
import NIOCore
import TLSPolicy
import TLSReport
import TLSScanner
import TLSWire
import X509

struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan TLS servers: protocol versions, every accepted cipher suite, server order, groups.",
        discussion: helpText("""
            Each target is HOST, HOST:PORT or [IPv6]:PORT (port 443 by default). Suites are found by
            elimination with crafted ClientHellos, so SSL 2.0, SSL 3.0, export and RC4 suites are
            seen even though no modern TLS library can speak them.

            It also reads every certificate chain the server serves (RSA and ECDSA, with and
            without SNI) and checks it with swift-certificates against the system trust store
            (and --ca-file), tests for known weaknesses (Heartbleed, CCS injection, POODLE,
            BEAST, SWEET32, RC4, FREAK, Logjam, DROWN, CRIME, missing fallback SCSV, missing
            TLS 1.3 downgrade sentinel, insecure renegotiation) and reads HSTS over HTTPS.

            Example:
              tlsguard scan example.com 10.0.0.5:8443 --format json --out report.json

            Every target gets an SSL Labs-style grade (criteria 2009q) with the reason for each cap.
            With --profile it is also checked against compliance profiles (pci-dss-4,
            mozilla-intermediate, nist-800-52r2, …) and each failed requirement says what to change
            (--platform nginx|apache|haproxy|iis|dotnet|java|openssl for exact settings).

              tlsguard scan shop.example.com --profile pci-dss-4 --platform nginx

            Exit codes: 0 every target was scanned (and meets every selected profile), 1 a target
            fails a profile, 2 a target could not be scanned, 64 usage error. A target where a
            protocol version or the certificates could not be checked (a timeout, a malformed or
            lying answer) counts as not scanned: exit 2, with one line on stderr saying what.
            """)
    )

    @Argument(help: "Targets: HOST[:PORT] ...")
    var targets: [String]

    @Option(name: .long, help: "Server name to send in SNI (default: the host, when it is a name).")
    var sni: String?

    @Option(name: .long, help: "Connect and read timeout per connection, in seconds.")
    var timeout: Double = 5

    @Option(name: .long, help: "Connections open at once per target.")
    var concurrency: Int = 5

    @Option(name: .long, help: "PEM file of CA certificates to trust in addition to the system store.")
    var caFile: String?

    @Flag(name: .long, help: "Do not send an HTTP request (no HSTS or Server-banner check).")
    var noHTTP = false

    @Flag(name: .long, help: "Also probe for ROBOT (ten RSA handshakes with crafted PKCS#1 padding; off by default).")
    var robot = false

    @Option(name: .long, help: ArgumentHelp("Check against a compliance profile: a built-in name (see `tlsguard profiles`) or a YAML/JSON file. Repeatable.", valueName: "name|file"))
    var profile: [String] = []

    @Option(name: .long, help: ArgumentHelp("Remediation for one platform: \(Remediation.platforms.joined(separator: ", ")).", valueName: "platform"))
    var platform: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !targets.isEmpty else { throw ValidationError("give at least one target (HOST[:PORT])") }
        guard timeout > 0, timeout <= 300 else { throw ValidationError("--timeout must be between 0 and 300 seconds, got \(timeout)") }
        guard (1...100).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 100, got \(concurrency)") }
        if let sni, let problem = HostName.sniProblem(sni) {
            throw ValidationError("--sni '\(sni.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())' is not a host name: \(problem)")
        }
        for t in targets {
            do { _ = try ScanTarget(parsing: t) } catch { throw ValidationError("\(error)") }
        }
        try output.validateDestination()
        if let platform, !Remediation.platforms.contains(platform) {
            throw ValidationError("--platform '\(platform)' is not one of \(Remediation.platforms.joined(separator: ", "))")
        }
        for p in profile {
            do { _ = try Profile.resolve(p) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        try await reportingCLIErrors { try await runBody() }
    }

    func runBody() async throws {
        let parsed = try targets.map { try ScanTarget(parsing: $0, sni: sni) }
        var options = ScanOptions()
        let t = TimeAmount.milliseconds(Int64(timeout * 1000))
        options.connectTimeout = t
        options.readTimeout = t
        options.perHostConcurrency = concurrency
        options.http = !noHTTP
        options.robot = robot
        if let caFile {
            do { options.extraRoots = try CertificateAnalyzer.loadCAFile(caFile) } catch { throw CLIError("\(error)", code: ExitStatus.usage) }
        }
        let profiles = try profile.map { try Profile.resolve($0) }
        let scan = await runScan(parsed, options: options, profiles: profiles, platform: platform)
        try output.emit(scan)
        let report = scan.report
        var unscannable = false
        for target in report.targets {
            if let problem = Self.scanProblem(target) {
                Terminal.printError(problem)
                unscannable = true
            }
        }
        if unscannable { throw ExitCode(ExitStatus.unscannable) }
        if scan.policy.contains(where: { !$0.meetsEveryProfile }) {
            throw ExitCode(ExitStatus.profileFailed)
        }
    }
}

extension Scan {
    /// The one line for stderr when a target could not be scanned, or when a protocol version or
    /// the certificates could not be checked (exit 2: what was not seen is never reported clean).
    static func scanProblem(_ t: TargetReport) -> String? {
        guard t.status.status == .completed else { return t.status.reason ?? "\(t.target): could not be scanned" }
        var parts = t.protocols.filter { $0.check.status == .error }.map { "\($0.version): \($0.check.reason ?? "error")" }
        if let c = t.certificates, c.check.status == .error { parts.append("certificates: \(c.check.reason ?? "error")") }
        guard !parts.isEmpty else { return nil }
        return "\(t.target): incomplete scan: " + parts.joined(separator: "; ")
    }
}

/// Scans, then judges each report beside it: observations (TLSScanner) → verdicts (TLSPolicy).
func runScan(_ targets: [ScanTarget], options: ScanOptions, profiles: [Profile] = [], platform: String? = nil) async -> JudgedScan {
    let started = Date()
    let results = await Scanner(options: options).scan(targets)
    let report = ScanReport(tool: .init(name: "tlsguard", version: TLSGuard.version), startedAt: started, finishedAt: Date(), targets: results)
    return JudgedScan(report: report, policy: results.map { PolicyResult.judge($0, profiles: profiles, platform: platform) })
}
