import Foundation
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
    func batchesAndFlushes() throws {
        let store = try TelemetryStore(path: temporaryPath())
        let writer = TelemetryWriter(store: store, capacity: 10_000, batchSize: 64)
        for n in 0..<1000 { #expect(writer.record(.connection(connection(n)))) }
        writer.close()
        #expect(try store.connections().count == 1000)
        #expect(writer.writtenCount == 1000)
        #expect(writer.droppedCount == 0)
        #expect(!writer.record(.connection(connection(1))), "closed writers drop")
    }

    @Test("a full queue drops and counts instead of blocking")
    func dropsWhenFull() throws {
        let store = try TelemetryStore(path: temporaryPath())
        let writer = TelemetryWriter(store: store, capacity: 10, batchSize: 1)
        var accepted = 0
        for n in 0..<5000 where writer.record(.connection(connection(n))) { accepted += 1 }
        writer.close()
        #expect(writer.droppedCount == 5000 - accepted)
        #expect(writer.droppedCount > 0)
        #expect(try store.connections().count == accepted)
    }

    @Test("an unusable path is a TelemetryError naming it")
    func badPath() {
        #expect(throws: TelemetryError.self) { try TelemetryStore(path: "/proc/nope/records.sqlite") }
    }
}
