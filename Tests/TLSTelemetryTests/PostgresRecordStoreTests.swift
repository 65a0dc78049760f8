import Foundation
import Testing
@testable import TestSupport
@testable import TLSTelemetry

/// Against a real PostgreSQL started by each test (Tests/TestSupport/PostgresServer.swift).
/// Serialized: each test runs a server, and the machine has two cores.
@Suite("PostgreSQL record store", .serialized)
struct PostgresRecordStoreTests {
    @Test("migrations make the schema on a fresh database, record their identifiers, and run once")
    func migrations() async throws {
        try await withPostgres { server, url in
            let db = PostgresServer.databaseName(in: url)
            try await withStore(url) { store in
                try await store.migrate()
                #expect(try await store.appliedMigrations() == RecordSchema.migrations.map(\.identifier))
                // Again, and from a second store (another gateway): nothing is applied twice.
                try await store.migrate()
                try await withStore(url) { other in try await other.migrate() }
                #expect(try await store.appliedMigrations() == RecordSchema.migrations.map(\.identifier))
            }
            let columns = try server.psql(
                """
                SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns
                WHERE table_name IN ('connection', 'request', 'client_hello') ORDER BY table_name, ordinal_position
                """, database: db).split(separator: "\n").map(String.init)
            #expect(columns.contains("connection.time:timestamp with time zone"))
            #expect(columns.contains("client_hello.bytes:bytea"))
            #expect(columns.contains("request.upstream_latency_ms:double precision"))
            #expect(columns.contains("request.id:bigint"))
            #expect(columns.contains("connection.client_port:integer"))
            #expect(columns.filter { $0.hasPrefix("connection.") }.count == RecordSchema.columns(of: "connection").count)
            #expect(columns.filter { $0.hasPrefix("request.") }.count == RecordSchema.columns(of: "request").count)
            let partitioned = try server.psql(
                "SELECT relname FROM pg_class WHERE relkind = 'p' ORDER BY relname", database: db)
            #expect(partitioned == "connection\nrequest")
            let indexes = try server.psql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'connection' ORDER BY indexname", database: db)
            for name in ["connection_on_time", "connection_on_ja4", "connection_on_hello_hash", "connection_pkey"] {
                #expect(indexes.contains(name), "\(name) missing from \(indexes)")
            }
        }
    }

    @Test("records written come back as they were (times to the millisecond)")
    func writeAndReadBack() async throws {
        try await withPostgres { _, url in
            try await withStore(url) { store in
                let connections = (0..<40).map { RecordFixtures.connection($0) }
                let requests = connections.enumerated().map { RecordFixtures.request($0.offset, on: $0.element) }
                let hellos = (0..<4).map(RecordFixtures.hello)
                try await store.write(connections: connections, requests: requests, hellos: hellos)
                let stored = try await store.connections()
                #expect(stored.count == connections.count)
                for (a, b) in zip(stored, connections.sorted { ($0.time, $0.id) < ($1.time, $1.id) }) {
                    var expected = b
                    expected.time = a.time
                    #expect(a == expected)
                    #expect(RecordFixtures.ms(a.time) == RecordFixtures.ms(b.time))
                }
                let storedRequests = try await store.requests()
                #expect(storedRequests.map(\.path) == requests.map(\.path))
                #expect(storedRequests.map(\.upstreamLatencyMs) == requests.map(\.upstreamLatencyMs))
                #expect(storedRequests.map(\.userAgent) == requests.map(\.userAgent))
                let found = try await store.clientHellos(hashes: ["hash-1", "hash-3", "absent"])
                #expect(found.count == 2)
                #expect(found["hash-1"]?.bytes == hellos[1].bytes)
                #expect(found["hash-3"]?.ja3 == nil)
            }
        }
    }

    @Test("a hello is stored once, whichever batch or gateway brings it; a retried batch adds no connection twice")
    func helloDedupe() async throws {
        try await withPostgres { _, url in
            try await withStore(url) { store in
                let first = RecordFixtures.hello(1)
                var again = first
                again.firstSeen = first.firstSeen.addingTimeInterval(3600)
                again.bytes = [0x16]
                let c = RecordFixtures.connection(1)
                try await store.write(connections: [c], requests: [], hellos: [first, first])
                try await withStore(url) { other in
                    try await other.write(connections: [c], requests: [], hellos: [again, RecordFixtures.hello(2)])
                }
                let counts = try await store.rowCounts()
                #expect(counts.hellos == 2)
                #expect(counts.connections == 1)
                let stored = try await store.clientHellos(hashes: [first.hash])
                #expect(stored[first.hash]?.bytes == first.bytes, "the first sighting's bytes are kept")
            }
        }
    }

    @Test("impact observations are the SQLite store's for the same records")
    func impactParity() async throws {
        let sqlite = try TelemetryStore(path: NSTemporaryDirectory() + "tlsguard-parity-\(UUID().uuidString)/records.sqlite")
        var connections = (0..<120).map { RecordFixtures.connection($0, gateway: $0 % 3 == 0 ? "gw-b" : "gw-a") }
        // Connections that share every fact, so rows aggregate; and one without a gateway.
        for n in 0..<5 {
            var c = RecordFixtures.connection(8)
            c.id = UUID().uuidString
            c.time = RecordFixtures.base.addingTimeInterval(100 + Double(n))
            connections.append(c)
        }
        connections.append(RecordFixtures.connection(200, gateway: nil))
        var requests: [RequestRecord] = []
        for (i, c) in connections.enumerated() {
            for k in 0..<(i % 4) { requests.append(RecordFixtures.request(i + k, on: c, after: Double(k) + 0.5)) }
        }
        // A request an hour before its connection (a skewed clock): it counts on its connection's day.
        requests.append(RecordFixtures.request(999, on: connections[10], after: -3600))
        let hellos = (0..<4).map(RecordFixtures.hello)
        try sqlite.insert(connections: connections, requests: requests, hellos: hellos)

        try await withPostgres { _, url in
            try await withStore(url) { postgres in
                try await postgres.write(connections: connections, requests: requests, hellos: hellos)
                let windows: [(Date, Date)] = [
                    (RecordFixtures.base.addingTimeInterval(-86_400), RecordFixtures.base.addingTimeInterval(86_400)),
                    (connections[10].time, connections[90].time),  // boundaries on records' own times
                    (RecordFixtures.base.addingTimeInterval(1000.0005), RecordFixtures.base.addingTimeInterval(3000.0009)),
                    (RecordFixtures.base.addingTimeInterval(86_400), RecordFixtures.base.addingTimeInterval(90_000)),  // empty
                ]
                for (since, until) in windows {
                    let a = try await sqlite.impactObservations(since: since, until: until).map(\.comparable).sorted()
                    let b = try await postgres.impactObservations(since: since, until: until).map(\.comparable).sorted()
                    #expect(a == b, "window \(since) – \(until)")
                    let classesA = try await sqlite.impactClasses(since: since, until: until).map(\.comparable).sorted()
                    let classesB = try await postgres.impactClasses(since: since, until: until).map(\.comparable).sorted()
                    #expect(classesA == classesB, "classes, window \(since) – \(until)")
                    if since == windows[0].0 {
                        let all = try await sqlite.impactObservations(since: since, until: until)
                        #expect(a.count > 20)
                        #expect(all.map(\.connections).reduce(0, +) == connections.count)
                        #expect(all.map(\.requests).reduce(0, +) == requests.count)
                    }
                }
                let hashes: Set = ["hash-0", "hash-2", "hash-9"]
                let fromSQLite = try await sqlite.clientHellos(hashes: hashes)
                let fromPostgres = try await postgres.clientHellos(hashes: hashes)
                #expect(fromSQLite.keys.sorted() == fromPostgres.keys.sorted())
                for (hash, h) in fromSQLite {
                    #expect(fromPostgres[hash]?.bytes == h.bytes)
                    #expect(fromPostgres[hash].map { RecordFixtures.ms($0.firstSeen) } == RecordFixtures.ms(h.firstSeen))
                }
                #expect(postgres.sourceDescription.hasPrefix("gateway records in postgres://postgres@127.0.0.1:"))
            }
        }
    }

    @Test("day partitions: made for the days written and ahead, a default partition takes the rest, retention drops old days")
    func partitionsAndRetention() async throws {
        try await withPostgres { server, url in
            let db = PostgresServer.databaseName(in: url)
            let day = 86_400.0
            // The real clock: the store decides which days to partition by it.
            let now = Date()
            let today = Double(Int(now.timeIntervalSince1970 / day)) * day
            // Thirty days of records, written without retention.
            try await withStore(url) { store in
                var connections: [ConnectionRecord] = []
                var requests: [RequestRecord] = []
                for d in 0..<30 {
                    let c = RecordFixtures.connection(d, at: Date(timeIntervalSince1970: today - Double(d) * day + 3600))
                    connections.append(c)
                    requests.append(RecordFixtures.request(d, on: c))
                }
                try await store.write(connections: connections, requests: requests, hellos: [])
                #expect(try await store.dayPartitions(of: "connection").count == 30)
                #expect(try await store.dayPartitions(of: "request").count == 30)
                #expect(try server.psql("SELECT COUNT(*) FROM connection_default", database: db) == "0")
                #expect(try server.psql("SELECT COUNT(*) FROM ONLY connection_d\(Self.ymd(today))", database: db) == "1")
            }
            // A row that reached the default partition (no partition for its day yet) moves into
            // the day's partition when the store makes it.
            let future = today + 10 * day
            try server.psql(
                """
                INSERT INTO connection (id, time, listener, client_address, client_port, outcome, rule)
                VALUES ('early', to_timestamp(\(future + 60)), 'public', '192.0.2.1', 1, 'accepted', 'r')
                """, database: db)
            #expect(try server.psql("SELECT COUNT(*) FROM connection_default", database: db) == "1")
            try await withStore(url, retention: .seconds(7 * 86_400)) { store in
                let c = RecordFixtures.connection(1, at: Date(timeIntervalSince1970: future + 120))
                try await store.write(connections: [c], requests: [], hellos: [])
                #expect(try server.psql("SELECT COUNT(*) FROM connection_default", database: db) == "0")
                #expect(try server.psql("SELECT COUNT(*) FROM ONLY connection_d\(Self.ymd(future))", database: db) == "2")

                // Retention: 7 days kept; rows of older days in the default partition are deleted too.
                try server.psql(
                    """
                    INSERT INTO request (connection_id, time, method, path, status, outcome)
                    VALUES ('old', to_timestamp(\(today - 400 * day)), 'GET', '/', 200, 'proxied')
                    """, database: db)
                try await store.maintain(now: now)
                let kept = try await store.dayPartitions(of: "connection").map { Int($0.timeIntervalSince1970 / day) }
                let firstKept = Int((now.timeIntervalSince1970 - 7 * day) / day)
                #expect(kept.min() == firstKept)
                #expect(kept.contains(Int(today / day) + 2), "partitions ahead: \(kept)")
                #expect(try await store.dayPartitions(of: "request").first == Date(timeIntervalSince1970: Double(firstKept) * day))
                #expect(try server.psql("SELECT COUNT(*) FROM request_default", database: db) == "0")
                let counts = try await store.rowCounts()
                #expect(counts.connections == 8 + 2, "days today-7 … today, and the two of the future day")
                #expect(counts.requests == 8)
                // Writing a day that retention would drop keeps it out of the partitions.
                try await store.write(connections: [RecordFixtures.connection(3, at: Date(timeIntervalSince1970: today - 20 * day))],
                                      requests: [], hellos: [])
                #expect(try server.psql("SELECT COUNT(*) FROM connection_default", database: db) == "1")
                #expect(try await store.dayPartitions(of: "connection").map { Int($0.timeIntervalSince1970 / day) }.min() == firstKept)
            }
        }
    }

    @Test("database down: records wait, then drop (counted); the store reconnects and later records land")
    func outage() async throws {
        try await withPostgres { server, url in
            var options = PostgresRecordStore.Options()
            options.leaseTimeout = .milliseconds(500)
            options.connectTimeout = .seconds(1)
            try await withStore(url, options: options) { store in
                let writer = TelemetryWriter(store: store, capacity: 30, batchSize: 10, stallAfter: .milliseconds(300),
                                             retryDelays: [.milliseconds(50), .milliseconds(50)])
                for n in 0..<10 { writer.record(.connection(RecordFixtures.connection(n))) }
                await writer.flush()
                #expect(writer.counts.written == 10)

                server.stopServer()
                var accepted = 0
                for n in 10..<110 where writer.record(.connection(RecordFixtures.connection(n))) { accepted += 1 }
                #expect(writer.counts.dropped == 100 - accepted)
                #expect(writer.counts.dropped >= 70, "the buffer holds 30")
                // While it is down the writer is not healthy (stalled waiting, or failing).
                var health = writer.health
                for _ in 0..<100 where health.isHealthy {
                    try await Task.sleep(for: .milliseconds(20))
                    health = writer.health
                }
                #expect(!health.isHealthy)

                try server.startServer()
                await writer.flush()
                let afterOutage = writer.counts
                #expect(afterOutage.queued == 0)
                #expect(afterOutage.written + afterOutage.failed + afterOutage.dropped == 110)
                // Later records are written: the pool reconnected by itself.
                for n in 200..<220 { writer.record(.connection(RecordFixtures.connection(n))) }
                await writer.flush()
                #expect(writer.counts.written == afterOutage.written + 20)
                #expect(writer.health == .ok)
                await writer.close()
                #expect(try await store.rowCounts().connections == writer.counts.written)
            }
        }
    }

    @Test("a store that cannot reach its database fails in time with 'unavailable', without the password")
    func unreachable() async throws {
        let port = try closedPort()
        var options = PostgresRecordStore.Options()
        options.leaseTimeout = .milliseconds(300)
        try await withStore("postgres://app:s3cret@127.0.0.1:\(port)/records?sslmode=disable", options: options) { store in
            let error = await #expect(throws: TelemetryError.self) {
                try await store.write(connections: [RecordFixtures.connection(1)], requests: [], hellos: [])
            }
            #expect(error?.code == .unavailable)
            #expect(!"\(error!)".contains("s3cret"))
            #expect("\(error!)".contains("postgres://app:***@127.0.0.1:\(port)/records"))
        }
    }

    static func ymd(_ seconds: Double) -> String {
        PostgresRecordStore.partitionSuffix(Int(seconds / 86_400)).dropFirst().description
    }
}
