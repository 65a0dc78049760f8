import Foundation
import GRDB
import Testing
@testable import TLSTelemetry

/// The daily rollups (`daily_hello`, `daily_client`) that `tlsguard impact` reads: kept by the
/// databases' own triggers, filled by the v3 migration, trimmed by retention; checked against a
/// rollup computed here from the raw records.
@Suite("Daily rollups")
struct RollupTests {
    /// Connections over two days, requests written in batches after their connections (a
    /// connection's first request in one batch, its later ones in the next), a request for a
    /// connection never written, and connections without requests.
    static func records() -> (connections: [ConnectionRecord], requests: [[RequestRecord]]) {
        var connections = (0..<60).map { RecordFixtures.connection($0) }
        for n in 0..<8 {  // the next day, sharing facts with the first ones
            connections.append(RecordFixtures.connection(n, at: RecordFixtures.base.addingTimeInterval(86_400 + Double(n))))
        }
        var first: [RequestRecord] = [], later: [RequestRecord] = []
        for (i, c) in connections.enumerated() {
            for k in 0..<(i % 4) {
                let r = RecordFixtures.request(i * 7 + k, on: c, after: Double(k) + 0.5)
                if k == 0 { first.append(r) } else { later.append(r) }
            }
        }
        var orphan = RecordFixtures.request(5, on: connections[1])
        orphan.connectionID = "never-written"
        later.append(orphan)
        return (connections, [first, later])
    }

    /// The rollup by hand: per UTC day and facts, the connection under its first request's API
    /// key and user agent, its requests counted with it.
    static func expected(_ connections: [ConnectionRecord], _ requests: [RequestRecord], clients: Bool) -> [String] {
        var byConnection: [String: [RequestRecord]] = [:]
        for r in requests { byConnection[r.connectionID, default: []].append(r) }
        var rows: [String: ImpactObservation] = [:]
        for c in connections {
            let mine = byConnection[c.id] ?? []
            let o = ImpactObservation(
                source: "gateway", helloHash: c.helloHash, serverName: c.serverName,
                clientAddress: clients ? c.clientAddress : nil, offeredVersions: c.offeredVersions,
                maxOfferedVersion: c.maxOfferedVersion, negotiatedVersion: c.negotiatedVersion, cipherSuite: c.cipherSuite,
                ja3: c.ja3, ja4: c.ja4, apiKey: clients ? mine.first?.apiKey : nil, userAgent: clients ? mine.first?.userAgent : nil,
                outcome: c.outcome, gateway: c.gateway, connections: 1, requests: mine.count, firstSeen: c.time, lastSeen: c.time)
            var key = o
            (key.connections, key.requests, key.firstSeen, key.lastSeen) = (0, 0, .distantPast, .distantPast)
            let k = key.comparable
            if var row = rows[k] {
                row.connections += 1
                row.requests += o.requests
                row.firstSeen = min(row.firstSeen, o.firstSeen)
                row.lastSeen = max(row.lastSeen, o.lastSeen)
                rows[k] = row
            } else {
                rows[k] = o
            }
        }
        return rows.values.map(\.comparable).sorted()
    }

    static let twoDays = (RecordFixtures.base.addingTimeInterval(-3600), RecordFixtures.base.addingTimeInterval(2 * 86_400))

    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "tlsguard-rollup-\(UUID().uuidString)/records.sqlite"
    }

    static func check(_ source: any ImpactSource, _ connections: [ConnectionRecord], _ requests: [RequestRecord]) async throws {
        let (since, until) = twoDays
        let all = try await source.impactObservations(since: since, until: until)
        #expect(all.map(\.comparable).sorted() == expected(connections, requests, clients: true))
        let classes = try await source.impactClasses(since: since, until: until)
        #expect(classes.map(\.comparable).sorted() == expected(connections, requests, clients: false))
        #expect(classes.allSatisfy { $0.clientAddress == nil && $0.apiKey == nil && $0.userAgent == nil })
        // One day: whole UTC days, so the window from 21:00 reads all of the first day.
        let firstDay = connections.filter { $0.time < RecordFixtures.base.addingTimeInterval(43_200) }
        let window = source.window(since: RecordFixtures.base.addingTimeInterval(2000), until: RecordFixtures.base.addingTimeInterval(2001))
        #expect(window.since == RecordDay.start(RecordDay.number(of: RecordFixtures.base)))
        #expect(window.until == RecordDay.start(RecordDay.number(of: RecordFixtures.base) + 1))
        let oneDay = try await source.impactObservations(since: window.since, until: window.until)
        #expect(oneDay.map(\.comparable).sorted() == expected(firstDay, requests, clients: true))
        // Only some hellos.
        let some = try await source.impactObservations(since: since, until: until, helloHashes: ["hash-1", "hash-3"])
        #expect(some.map(\.comparable).sorted() == expected(connections.filter { ["hash-1", "hash-3"].contains($0.helloHash) },
                                                             requests, clients: true))
    }

    @Test("SQLite: the triggers keep both rollups equal to the records, requests written in later batches included")
    func sqliteTriggers() async throws {
        let (connections, batches) = Self.records()
        let store = try TelemetryStore(path: Self.temporaryPath())
        try store.insert(connections: connections, requests: [], hellos: [])
        for batch in batches { try store.insert(connections: [], requests: batch) }
        // A connection written twice (a retried batch) counts once.
        try store.insert(connections: [connections[3]], requests: [])
        try await Self.check(store, connections, batches.flatMap { $0 })
        let empty = try await DatabaseQueue(path: store.path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM daily_client WHERE connections = 0 AND requests = 0") }
        #expect(empty == 0, "rows moved away from ('', '') are deleted, not left at zero")
    }

    @Test("SQLite: the v3 migration fills the rollups from the records already stored")
    func sqliteBackfill() async throws {
        let (connections, batches) = Self.records()
        let path = Self.temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            for statement in RecordSchemaTests.handWrittenSchema { try db.execute(sql: statement) }
            for id in ["v1: connection and request records", "v2: distinct ClientHellos, gateway name"] {
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [id])
            }
        }
        try queue.close()
        // Rows written by a v2 gateway: no rollup triggers yet.
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            for c in connections {
                try db.execute(sql: """
                    INSERT INTO connection (id, time, listener, client_address, client_port, server_name, offered_versions,
                      max_offered_version, record_version, negotiated_version, cipher_suite, ja3, ja4, outcome, rule, hello_hash, gateway)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [c.id, c.time, c.listener, c.clientAddress, c.clientPort, c.serverName, c.offeredVersions,
                                     c.maxOfferedVersion, c.recordVersion, c.negotiatedVersion, c.cipherSuite, c.ja3, c.ja4,
                                     c.outcome, c.rule, c.helloHash, c.gateway])
            }
            for r in batches.flatMap({ $0 }) {
                try db.execute(sql: """
                    INSERT INTO request (connection_id, time, method, path, status, user_agent, api_key, outcome)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [r.connectionID, r.time, r.method, r.path, r.status, r.userAgent, r.apiKey, r.outcome])
            }
        }
        try raw.close()
        let store = try TelemetryStore(path: path)
        try await Self.check(store, connections, batches.flatMap { $0 })
        // And the triggers run from then on.
        let later = RecordFixtures.connection(61, at: RecordFixtures.base.addingTimeInterval(90_000))
        try store.insert(connections: [later], requests: [RecordFixtures.request(3, on: later)])
        try await Self.check(store, connections + [later], batches.flatMap { $0 } + [RecordFixtures.request(3, on: later)])
    }

    @Test("SQLite: retention removes the rollups' days wholly older than it, and keeps the rest")
    func sqliteRetention() async throws {
        let (connections, batches) = Self.records()
        let store = try TelemetryStore(path: Self.temporaryPath(), retention: .seconds(86_400))
        try store.insert(connections: connections, requests: batches.flatMap { $0 })
        // Two days after base at 21:00: the cutoff falls on the second day, so the first goes.
        try await store.maintain(now: RecordFixtures.base.addingTimeInterval(2 * 86_400))
        let (since, until) = Self.twoDays
        let kept = try await store.impactObservations(since: since, until: until)
        let secondDay = connections.filter { $0.time > RecordFixtures.base.addingTimeInterval(43_200) }
        #expect(kept.map(\.comparable).sorted() == Self.expected(secondDay, batches.flatMap { $0 }, clients: true))
    }

    @Test("PostgreSQL: the statement triggers keep both rollups equal to the records; the migration fills them")
    func postgresTriggers() async throws {
        let (connections, batches) = Self.records()
        try await withPostgres { _, url in
            try await withStore(url) { store in
                try await store.write(connections: connections, requests: [])
                for batch in batches { try await store.write(connections: [], requests: batch) }
                try await store.write(connections: [connections[3]], requests: [])
                try await Self.check(store, connections, batches.flatMap { $0 })
                // The migration's fill, run again on emptied rollups, makes the same rows.
                try await store.execute(RecordSchema.Rollup.all.flatMap { ["DELETE FROM \($0.name)", RecordSchema.backfill($0, .postgres)] },
                                        "refill the rollups")
                try await Self.check(store, connections, batches.flatMap { $0 })
            }
        }
    }
}
