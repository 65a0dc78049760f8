import ArgumentParser
import Foundation
import TLSDemo
import TLSGateway
import TLSPolicy
import TLSReport
import TLSScanner

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
            (will it still connect after the cutoff, rating, JA4).
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
            print(DemoTranscript.render(try await GatewayDemo.run()), terminator: "")
        }
        if scan.report.targets.contains(where: { $0.status.status != .completed }) { throw ExitCode(ExitStatus.unscannable) }
    }
}
