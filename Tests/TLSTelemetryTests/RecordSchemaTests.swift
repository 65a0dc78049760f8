import Foundation
import GRDB
import Testing
@testable import TLSTelemetry

@Suite("Record schema, one definition for SQLite and PostgreSQL")
struct RecordSchemaTests {
    /// `sqlite_master` of a database made by the hand-written v1 and v2 migrations (before the
    /// schema was shared): the generated migrations must make exactly this.
    static let handWrittenSchema = [
        #"CREATE TABLE "connection" ("id" TEXT PRIMARY KEY, "time" DATETIME NOT NULL, "listener" TEXT NOT NULL, "client_address" TEXT NOT NULL, "client_port" INTEGER NOT NULL, "server_name" TEXT, "offered_versions" TEXT, "max_offered_version" TEXT, "record_version" TEXT, "negotiated_version" TEXT, "cipher_suite" TEXT, "ja3" TEXT, "ja4" TEXT, "alpn_offered" TEXT, "alpn_negotiated" TEXT, "outcome" TEXT NOT NULL, "rule" TEXT NOT NULL, "mode" TEXT, "detail" TEXT, "hello_hash" TEXT, "gateway" TEXT)"#,
        #"CREATE INDEX "connection_on_time" ON "connection"("time")"#,
        #"CREATE INDEX "connection_on_server_name" ON "connection"("server_name")"#,
        #"CREATE INDEX "connection_on_max_offered_version" ON "connection"("max_offered_version")"#,
        #"CREATE INDEX "connection_on_ja4" ON "connection"("ja4")"#,
        #"CREATE TABLE "request" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "connection_id" TEXT NOT NULL, "time" DATETIME NOT NULL, "method" TEXT NOT NULL, "host" TEXT, "path" TEXT NOT NULL, "status" INTEGER NOT NULL, "user_agent" TEXT, "api_key" TEXT, "upstream_latency_ms" DOUBLE, "outcome" TEXT NOT NULL, "rule" TEXT)"#,
        #"CREATE INDEX "request_on_connection_id" ON "request"("connection_id")"#,
        #"CREATE INDEX "request_on_api_key" ON "request"("api_key")"#,
        #"CREATE TABLE "client_hello" ("hash" TEXT PRIMARY KEY, "first_seen" DATETIME NOT NULL, "record_version" TEXT NOT NULL, "bytes" BLOB NOT NULL, "ja3" TEXT, "ja4" TEXT)"#,
        #"CREATE INDEX "connection_on_hello_hash" ON "connection"("hello_hash")"#,
    ]

    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "tlsguard-schema-\(UUID().uuidString)/records.sqlite"
    }

    @Test("the generated SQLite migrations make the schema the hand-written ones made, under the same identifiers")
    func sqliteSchemaUnchanged() throws {
        let store = try TelemetryStore(path: Self.temporaryPath())
        let queue = try DatabaseQueue(path: store.path)
        let sql = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY rowid")
        }
        // v3 adds request.connection_time (SQLite rewrites the stored CREATE TABLE), then the rollups.
        let v3 = Self.handWrittenSchema.map {
            $0.hasPrefix(#"CREATE TABLE "request""#) ? String($0.dropLast()) + #", "connection_time" DATETIME)"# : $0
        }
        #expect(Array(sql.prefix(Self.handWrittenSchema.count)) == v3)
        // After them, v3's rollups: two tables, each with its key, day and empty-row indexes and two triggers.
        let rollupObjects = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT type || ' ' || name FROM sqlite_master WHERE name LIKE 'daily_%' ORDER BY rowid")
        }
        #expect(rollupObjects == ["daily_hello", "daily_client"].flatMap { t in
            ["table \(t)", "index \(t)_key", "index \(t)_on_day", "index \(t)_empty", "trigger \(t)_on_connection", "trigger \(t)_on_request"]
        })
        #expect(sql.count == Self.handWrittenSchema.count + rollupObjects.count)
        let identifiers = try queue.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        #expect(identifiers == ["v1: connection and request records", "v2: distinct ClientHellos, gateway name",
                                "v3: daily rollups for impact"])
    }

    @Test("a database made before the shared schema opens, gains only the rollups, and takes records")
    func existingDatabaseKeepsWorking() throws {
        let path = Self.temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            for statement in Self.handWrittenSchema { try db.execute(sql: statement) }
            for id in ["v1: connection and request records", "v2: distinct ClientHellos, gateway name"] {
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [id])
            }
        }
        try queue.close()
        let store = try TelemetryStore(path: path)
        let c = RecordFixtures.connection(1)
        try store.insert(connections: [c], requests: [RecordFixtures.request(1, on: c)], hellos: [RecordFixtures.hello(1)])
        #expect(try store.connections().map(\.id) == [c.id])
    }

    @Test("the PostgreSQL DDL: partitioned tables with a default partition, the key with the partition column, PostgreSQL types")
    func postgresDDL() {
        let v1 = RecordSchema.postgresStatements(for: RecordSchema.migrations[0])
        let connection = v1.first { $0.hasPrefix(#"CREATE TABLE "connection" ("#) }!
        #expect(connection.contains(#""time" TIMESTAMPTZ NOT NULL"#))
        #expect(connection.contains(#"PRIMARY KEY ("id", "time")"#))
        #expect(connection.hasSuffix(#"PARTITION BY RANGE ("time")"#))
        #expect(v1.contains(#"CREATE TABLE "connection_default" PARTITION OF "connection" DEFAULT"#))
        #expect(v1.contains(#"CREATE INDEX "connection_on_ja4" ON "connection" ("ja4")"#))
        let request = v1.first { $0.hasPrefix(#"CREATE TABLE "request" ("#) }!
        #expect(request.contains(#""id" BIGSERIAL NOT NULL"#))
        #expect(request.contains(#""upstream_latency_ms" DOUBLE PRECISION"#))
        let v2 = RecordSchema.postgresStatements(for: RecordSchema.migrations[1])
        #expect(v2[0].contains(#""bytes" BYTEA NOT NULL"#))
        #expect(v2[0].contains(#"PRIMARY KEY ("hash")"#))
        #expect(!v2[0].contains("PARTITION"))
        #expect(v2.contains(#"ALTER TABLE "connection" ADD COLUMN "hello_hash" TEXT, ADD COLUMN "gateway" TEXT"#))
        #expect(RecordSchema.partitionedTables.map(\.table) == ["connection", "request"])
    }

    @Test("SQLite retention deletes connections older than it, with their requests, and keeps the rest")
    func sqliteRetention() async throws {
        let store = try TelemetryStore(path: Self.temporaryPath(), retention: .seconds(10 * 86_400))
        let now = RecordFixtures.base
        var connections: [ConnectionRecord] = []
        var requests: [RequestRecord] = []
        for d in 0..<30 {
            for k in 0..<300 {  // more than one chunk of 5,000 over the expired days
                let c = RecordFixtures.connection(k, at: now.addingTimeInterval(-Double(d) * 86_400 - Double(k)))
                connections.append(c)
                if k % 10 == 0 { requests.append(RecordFixtures.request(k, on: c)) }
            }
        }
        try store.insert(connections: connections, requests: requests)
        try await store.maintain(now: now)
        let kept = try store.connections()
        let cutoff = now.addingTimeInterval(-10 * 86_400)
        #expect(kept.count == connections.filter { $0.time >= cutoff }.count)
        #expect(kept.allSatisfy { $0.time >= cutoff })
        let keptIDs = Set(kept.map(\.id))
        #expect(try store.requests().allSatisfy { keptIDs.contains($0.connectionID) })
        #expect(try store.requests().count == requests.filter { keptIDs.contains($0.connectionID) }.count)
    }
}
