import Foundation
import GRDB
import Testing
@testable import TLSTelemetry

@Suite("Record store and batched writer")
struct TelemetryWriterTests {
    func temporaryPath() -> String {
        NSTemporaryDirectory() + "tlsguard-telemetry-\(UUID().uuidString)/records.sqlite"
    }

    func connection(_ n: Int) -> ConnectionRecord {
        ConnectionRecord(time: Date(timeIntervalSince1970: 1_780_000_000 + Double(n)), listener: "public",
                         clientAddress: "192.0.2.\(n % 250)", clientPort: 40000 + n, serverName: "api.example.com",
                         offeredVersions: "TLSv1.0", maxOfferedVersion: "TLSv1.0", ja4: "t10d090600_c491f621fb4c_195413a0cc0f",
                         outcome: "refused", rule: "default.cutoff", mode: "enforce")
    }

    @Test("records round-trip through the migrated schema")
    func roundTrip() throws {
        let store = try TelemetryStore(path: temporaryPath())
        let c = connection(1)
        let r = RequestRecord(connectionID: c.id, time: c.time, method: "GET", host: "api.example.com", path: "/v1",
                              status: 200, userAgent: "curl/8", apiKey: "sha256:ab", upstreamLatencyMs: 1.5, outcome: "proxied")
        try store.insert(connections: [c], requests: [r])
        #expect(try store.connections() == [c])
        #expect(try store.requests() == [r])
        let legacy = try store.legacyClients()
        #expect(legacy.count == 1)
        #expect(legacy[0].ja4 == c.ja4)
        // Reopening an existing database runs no migration twice.
        let again = try TelemetryStore(path: store.path)
        #expect(try again.connections().count == 1)
    }

    @Test("the writer batches off the caller's thread and close() flushes everything")
    func batchesAndFlushes() async throws {
        let store = try TelemetryStore(path: temporaryPath())
        let writer = TelemetryWriter(store: store, capacity: 10_000, batchSize: 64)
        for n in 0..<1000 { #expect(writer.record(.connection(connection(n)))) }
        await writer.close()
        #expect(try store.connections().count == 1000)
        #expect(writer.writtenCount == 1000)
        #expect(writer.droppedCount == 0)
        #expect(!writer.record(.connection(connection(1))), "closed writers drop")
    }

    @Test("a full queue drops and counts instead of blocking")
    func dropsWhenFull() async throws {
        let store = try TelemetryStore(path: temporaryPath())
        let writer = TelemetryWriter(store: store, capacity: 10, batchSize: 1)
        var accepted = 0
        for n in 0..<5000 where writer.record(.connection(connection(n))) { accepted += 1 }
        await writer.close()
        #expect(writer.droppedCount == 5000 - accepted)
        #expect(writer.droppedCount > 0)
        #expect(try store.connections().count == accepted)
    }

    @Test("records from many tasks are all written, and flush() waits for them while the writer runs")
    func concurrentProducersAndFlush() async throws {
        let store = try TelemetryStore(path: temporaryPath())
        let writer = TelemetryWriter(store: store, capacity: 100_000, batchSize: 50)
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask { for n in 0..<500 { writer.record(.connection(self.connection(t * 1000 + n))) } }
            }
        }
        await writer.flush()
        #expect(try store.connections().count == 4000)
        #expect(writer.counts == TelemetryWriter.Counts(queued: 0, written: 4000, dropped: 0, failed: 0))
        #expect(writer.health == .ok)
        // Nothing is left parked: a record after an idle moment lands too.
        try await Task.sleep(for: .milliseconds(50))
        writer.record(.connection(connection(99_999)))
        await writer.flush()
        #expect(try store.connections().count == 4001)
        await writer.close()
        #expect(writer.health == .closed)
        await writer.flush() // returns at once after close
    }

    @Test("a batch that cannot be written is retried, then counted as failed, and the writer reports failing")
    func failingWrites() async throws {
        let path = temporaryPath()
        let store = try TelemetryStore(path: path)
        // Another connection drops the table: every insert now fails.
        try DatabaseQueue(path: path).inDatabase { try $0.execute(sql: "DROP TABLE connection") }
        let writer = TelemetryWriter(store: store, batchSize: 10, retryDelays: [.milliseconds(1), .milliseconds(1)])
        for n in 0..<25 { writer.record(.connection(connection(n))) }
        await writer.flush()
        #expect(writer.counts == TelemetryWriter.Counts(queued: 0, written: 0, dropped: 0, failed: 25))
        guard case .failing(let why) = writer.health else {
            Issue.record("health is \(writer.health), not failing")
            return
        }
        #expect(why.contains("connection"))
        await writer.close()
    }

    @Test("records waiting on a locked database make the writer unhealthy, and land once the lock is gone")
    func unhealthyWhileLocked() async throws {
        let path = temporaryPath()
        let store = try TelemetryStore(path: path)
        let writer = TelemetryWriter(store: store, stallAfter: .milliseconds(200))
        let blocker = try DatabaseQueue(path: path)
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        // A thread of its own (not the task pool, which a blocking lock holder could starve) holds
        // the write lock until told to let go.
        let holder = Thread {
            try? blocker.inDatabase { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                release.wait()
                try db.execute(sql: "COMMIT")
            }
            released.signal()
        }
        holder.start()
        locked.wait()
        writer.record(.connection(connection(1)))
        // Stalled (waiting on the lock past 200 ms) or failing (SQLite gave up waiting): either
        // way /healthz would say so. Polled, not timed: at most 3 s.
        var health = writer.health
        for _ in 0..<150 where health.isHealthy {
            try await Task.sleep(for: .milliseconds(20))
            health = writer.health
        }
        #expect(!health.isHealthy, "health stayed \(health) with a record waiting on a locked database")
        release.signal()
        released.wait()
        await writer.flush()
        #expect(writer.health == .ok)
        #expect(writer.counts.written + writer.counts.failed == 1)
        #expect(try store.connections().count == writer.counts.written)
        await writer.close()
    }

    @Test("an unusable path is a TelemetryError naming it")
    func badPath() {
        #expect(throws: TelemetryError.self) { try TelemetryStore(path: "/proc/nope/records.sqlite") }
    }
}
