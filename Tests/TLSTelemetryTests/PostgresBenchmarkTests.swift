import Foundation
import Testing
@testable import TestSupport
@testable import TLSTelemetry

/// Throughput and retention at scale, against a durable server (fsync on). The short versions run
/// with every test run; `TLSGUARD_PG_BENCH=1` runs the long ones whose figures docs/gateway-records.md
/// quotes:
///
///     TLSGUARD_PG_BENCH=1 swift test --skip-build --disable-xctest --filter PostgresBenchmark
@Suite("PostgreSQL store benchmarks", .serialized)
struct PostgresBenchmarkTests {
    static let long = ProcessInfo.processInfo.environment["TLSGUARD_PG_BENCH"] == "1"

    /// Records through the writer as the gateway makes them (one connection record and one
    /// request record per connection, a few distinct hellos), timed from the first `record` to
    /// the `flush` that sees them all written.
    @Test("the writer sustains its rate into PostgreSQL")
    func writerThroughput() async throws {
        let connections = Self.long ? 200_000 : 20_000
        try await withPostgres(durable: true) { _, url in
            try await withStore(url) { store in
                try await store.maintain(now: Date())
                let writer = TelemetryWriter(store: store, capacity: 2 * connections + 100, batchSize: 500)
                let now = Date()
                let hellos = (0..<20).map(RecordFixtures.hello)
                let start = ContinuousClock.now
                for h in hellos { writer.record(.hello(h)) }
                for n in 0..<connections {
                    var c = RecordFixtures.connection(n, at: now.addingTimeInterval(Double(n) / 1000))
                    c.helloHash = hellos[n % hellos.count].hash
                    writer.record(.connection(c))
                    writer.record(.request(RecordFixtures.request(n, on: c)))
                }
                await writer.flush()
                let elapsed = ContinuousClock.now - start
                let records = 2 * connections + hellos.count
                let rate = Double(records) / elapsed.timeInterval
                print("PostgresBenchmark: \(records) records (\(connections) connections + requests, batches of 500) in "
                      + "\(String(format: "%.2f", elapsed.timeInterval)) s: \(Int(rate)) records/s")
                #expect(writer.counts.written == records)
                #expect(writer.counts.dropped == 0 && writer.counts.failed == 0)
                let counts = try await store.rowCounts()
                #expect(counts.connections == connections && counts.requests == connections && counts.hellos == hellos.count)
                await writer.close()
            }
        }
    }

    /// A year of records, one day partition each, then a 90-day retention: the partitions it
    /// drops, the time it takes, and the database size before and after.
    @Test("a year of records under a 90-day retention")
    func yearOfRecords() async throws {
        let perDay = Self.long ? 500 : 50
        let days = Self.long ? 365 : 120
        try await withPostgres(durable: true) { server, url in
            let db = PostgresServer.databaseName(in: url)
            let day = 86_400.0
            let now = Date()
            let writeStart = ContinuousClock.now
            try await withStore(url) { store in
                for d in (0..<days).reversed() {
                    let dayStart = now.addingTimeInterval(-Double(d) * day)
                    let connections = (0..<perDay).map { RecordFixtures.connection($0, at: dayStart.addingTimeInterval(-Double($0))) }
                    let requests = connections.enumerated().map { RecordFixtures.request($0.offset, on: $0.element) }
                    try await store.write(connections: connections, requests: requests, hellos: [])
                }
            }
            let writeTime = ContinuousClock.now - writeStart
            let sizeBefore = try server.psql("SELECT pg_size_pretty(pg_database_size(current_database()))", database: db)
            try await withStore(url, retention: .seconds(90 * 86_400)) { store in
                let before = try await store.dayPartitions(of: "connection").count
                let start = ContinuousClock.now
                try await store.maintain(now: now)
                let elapsed = ContinuousClock.now - start
                let after = try await store.dayPartitions(of: "connection").count
                let counts = try await store.rowCounts()
                let sizeAfter = try server.psql("SELECT pg_size_pretty(pg_database_size(current_database()))", database: db)
                print("PostgresBenchmark: \(days) days × \(perDay) connections (+ as many requests) written in "
                      + "\(String(format: "%.1f", writeTime.timeInterval)) s, \(before) day partitions per table, \(sizeBefore); "
                      + "retention 90d (maintain: drop, then make the days ahead) in \(String(format: "%.2f", elapsed.timeInterval)) s, "
                      + "\(after) day partitions left (with 2 ahead), \(counts.connections) connections kept, \(sizeAfter)")
                #expect(after <= 91 + 2 + 1)
                #expect(counts.connections <= 92 * perDay)
                #expect(counts.connections >= 89 * perDay)
            }
        }
    }
}
