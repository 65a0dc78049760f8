import ArgumentParser
import Foundation
import TLSDemo
import TLSGateway
import TLSImpact
import TLSPolicy
import TLSReport
import TLSScanner
import TLSTelemetry

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan two local TLS servers, then run the gateway in warn mode against TLS 1.3 and TLS 1.0 clients.",
        discussion: helpText("""
            Needs nothing but this binary: the servers run in-process (swift-nio-ssl) with
            certificates made on the fly. The legacy one accepts TLS 1.0-1.3 with CBC suites, as a
            provider's old endpoint does before a TLS 1.0/1.1 cutoff; the modern one only TLS 1.2+.

            Then the gateway part: a local upstream, `tlsguard gateway` in warn mode in front of it
            (TLS 1.2 minimum, cutoff in 30 days), a TLS 1.3 and a TLS 1.0 client, the TLS 1.0 client
            again with the gateway's clock moved past the cutoff, and the records they left. Last,
            the client check: what the gateway's check listener tells a TLS 1.0 and a TLS 1.3 client
            (will it still connect after the cutoff, rating, JA4). It ends with `tlsguard impact`
            on the records the gateway wrote: who its policy refuses once the cutoff has passed.
            With --format json only the scan report is printed.
            """)
    )

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingCLIErrors { try await runBody() }
    }

    func runBody() async throws {
        let legacy = try await DemoServer.start(.legacy)
        let modern = try await DemoServer.start(.modern)
        if output.format == .text && output.out == nil {
            print("tlsguard demo: two servers on 127.0.0.1")
            print("  legacy  port \(legacy.port): \(legacy.profile.description)")
            print("  modern  port \(modern.port): \(modern.profile.description)")
            print("scanning both, as `tlsguard scan 127.0.0.1:\(legacy.port) 127.0.0.1:\(modern.port) --sni localhost")
            print("                     --profile tls12-minimum` would ...\n")
        }
        let targets = [
            ScanTarget(host: "127.0.0.1", port: legacy.port, sni: "localhost"),
            ScanTarget(host: "127.0.0.1", port: modern.port, sni: "localhost"),
        ]
        // The provider-notice case: does each server speak TLS 1.2+ and nothing older?
        let scan = await runScan(targets, options: ScanOptions(), profiles: [try Profile.resolve("tls12-minimum")])
        await legacy.stop()
        await modern.stop()
        try output.emit(scan)
        if output.format == .text && output.out == nil {
            let gateway = try await GatewayDemo.run()
            print(DemoTranscript.render(gateway), terminator: "")
            print(try await Self.impact(of: gateway), terminator: "")
        }
        if scan.report.targets.contains(where: { $0.status.status != .completed }) { throw ExitCode(ExitStatus.unscannable) }
    }

    /// `tlsguard impact --db <the demo's records> --config <the demo gateway>`: the clients its
    /// policy refuses once the cutoff has passed, judged by replaying their stored hellos.
    static func impact(of demo: GatewayDemo.Result) async throws -> String {
        let runtime = try GatewayRuntime(configuration: demo.configuration, clock: .system)
        let policy = ImpactPolicy(runtime: runtime, moment: .enforcing,
                                  summary: "the demo gateway's policy at its cutoff (\(ImpactTextRenderer.format(demo.cutoff)) UTC)")
        // The demo moved the gateway's clock past the cutoff: its records reach into the future.
        let times = demo.records.map(\.time)
        let since = times.min() ?? Date(), until = (times.max() ?? Date()).addingTimeInterval(1)
        let report = try await ImpactAnalyzer(policy: policy).run(
            source: try TelemetryStore(path: demo.databasePath), since: since, until: until, grouping: .client)
        let head = "\nimpact: who the cutoff would refuse, as `tlsguard impact --db records.sqlite --config gateway.yaml`:\n\n"
        return head + ImpactTextRenderer(color: Terminal.colorEnabled, limit: 10).render(report)
    }
}
