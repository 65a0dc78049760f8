import Foundation
import TLSTelemetry

/// `records-bench URL [CONNECTIONS] [BATCH]`: writes CONNECTIONS connection records, as many
/// request records and 20 distinct hellos through a `TelemetryWriter` into the store at URL
/// (`postgres://…`, or a SQLite file path), and prints the records per second from the first
/// `record` to the `flush` that sees them all written. The records are made before the clock
/// starts: what is timed is the writer and the store, not the making of records.
@main
struct RecordsBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: records-bench URL|PATH [CONNECTIONS] [BATCH]\n".utf8))
            exit(64)
        }
        let target = arguments[1]
        let count = arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000
        let batch = arguments.count > 3 ? Int(arguments[3]) ?? 500 : 500
        let store: any RecordStore = target.hasPrefix("postgres") ? try PostgresRecordStore(url: target) : try TelemetryStore(path: target)
        try await store.maintain(now: Date())

        let now = Date()
        let hellos = (0..<20).map { n in
            ClientHelloRecord(hash: "bench-hello-\(n)", firstSeen: now, recordVersion: "TLSv1.0",
                              bytes: Array(repeating: UInt8(n), count: 300), ja3: "ja3-\(n)", ja4: "t13d1516h2_\(n)")
        }
        var items: [TelemetryWriter.Item] = hellos.map { .hello($0) }
        items.reserveCapacity(2 * count + hellos.count)
        let versions = ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
        for n in 0..<count {
            let c = ConnectionRecord(
                time: now.addingTimeInterval(Double(n) / 1000), listener: "public", clientAddress: "198.51.100.\(n % 250)",
                clientPort: 1024 + n % 60_000, serverName: "api\(n % 10).example.com", offeredVersions: versions[n % 4],
                maxOfferedVersion: versions[n % 4], recordVersion: "TLSv1.0", negotiatedVersion: versions[n % 4],
                cipherSuite: "TLS_AES_128_GCM_SHA256", ja3: "ja3-\(n % 20)", ja4: "t13d1516h2_\(n % 20)",
                alpnOffered: "h2,http/1.1", alpnNegotiated: "http/1.1", outcome: "accepted", rule: "default.minimumVersion",
                mode: "modern", helloHash: hellos[n % 20].hash, gateway: "bench")
            items.append(.connection(c))
            items.append(.request(RequestRecord(
                connectionID: c.id, time: c.time, method: "GET", host: c.serverName, path: "/v1/items/\(n)", status: 200,
                userAgent: "bench/1.0", apiKey: "sha256:\(n % 100)", upstreamLatencyMs: 1.25, outcome: "proxied")))
        }

        let writer = TelemetryWriter(store: store, capacity: items.count + 1, batchSize: batch)
        let start = ContinuousClock.now
        for item in items { writer.record(item) }
        await writer.flush()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let counts = writer.counts
        await writer.close()
        await store.close()
        print("records-bench: \(counts.written) records written (\(count) connections + \(count) requests + \(hellos.count) hellos,"
              + " batches of \(batch)) in \(String(format: "%.2f", seconds)) s: \(Int(Double(counts.written) / seconds)) records/s;"
              + " dropped \(counts.dropped), failed \(counts.failed); \(store.description)")
        if counts.written != items.count { exit(1) }
    }
}
