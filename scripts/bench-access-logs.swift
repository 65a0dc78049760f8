// The access-log parser timed on its own (scripts/bench-access-logs compiles it with swiftc -O
// beside Sources/TLSImpact/AccessLogs and TLSWire's registry, without the package's heavy
// dependencies). Usage: bench-access-logs-main KIND FORMAT-FILE LOG [RUNS]
import Foundation

@main
struct AccessLogBench {
    static func main() async throws {
        let args = CommandLine.arguments
        guard args.count >= 4, let kind = AccessLogKind(rawValue: args[1]) else {
            FileHandle.standardError.write(Data("usage: \(args[0]) nginx|haproxy|envoy FORMAT-FILE LOG [RUNS]\n".utf8))
            exit(64)
        }
        let formatText = try String(contentsOfFile: args[2], encoding: .utf8)
        let path = args[3]
        let runs = args.count > 4 ? Int(args[4]) ?? 3 : 3
        let format: AccessLogFormat = switch kind {
        case .nginx: try NginxLogFormat.compile(formatText, apiKeyField: "$http_x_api_key")
        case .haproxy: try HAProxyLogFormat.compile(formatText, apiKeyField: nil)
        case .envoy: try EnvoyLogFormat.compile(formatText.isEmpty ? nil : formatText, apiKeyField: nil)
        }
        // The package hashes API keys with SHA-256 (swift-crypto), once per distinct key; a stand-in here.
        let hash: @Sendable (String) -> String = { "sha256:" + String($0.utf8.count) }

        var best = Double.infinity
        var bestCPU = Double.infinity
        var last: AccessLogReader.Result?
        func cpu() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            let startCPU = cpu()
            last = try await AccessLogReader.read(paths: [path], format: format, since: .distantPast, until: .distantFuture,
                                                  zone: .current, hashAPIKey: hash)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            bestCPU = min(bestCPU, cpu() - startCPU)
        }
        let r = last!
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print("lines \(r.summary.lines)  counted \(r.summary.counted)  unparsable \(r.summary.unparsable)  observations \(r.facts.count)")
        print(String(format: "best of %d: %.3f s  %.0f lines/s  %.0f MB/s  (%d cores); CPU %.3f s: %.0f lines per CPU second",
                     runs, best, Double(r.summary.lines) / best, Double(bytes) / best / 1e6,
                     ProcessInfo.processInfo.activeProcessorCount, bestCPU, Double(r.summary.lines) / bestCPU))
    }
}
