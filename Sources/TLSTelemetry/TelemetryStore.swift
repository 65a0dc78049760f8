import Foundation
import GRDB

/// The SQLite database of connection and request records (GRDB), with its migrations and queries.
///
/// The schema is documented in docs/gateway-records.md; every change is a new migration, never an
/// edit of an old one. Writes come from `TelemetryWriter` in batches; reads may run at any time
/// (WAL mode: readers never wait for the writer).
public final class TelemetryStore: RecordStore, Sendable {
    /// The database file, or `:memory:`.
    public let path: String
    /// Records older than this are deleted by `maintain(now:)`; nil keeps everything.
    public let retention: Duration?
    private let writer: any DatabaseWriter

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String, retention: Duration? = nil) throws(TelemetryError) {
        self.path = path
        self.retention = retention
        do {
            if path == ":memory:" {
                writer = try DatabaseQueue()
            } else {
                let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                var configuration = Configuration()
                configuration.busyMode = .timeout(5)
                writer = try DatabasePool(path: path, configuration: configuration)
            }
            try Self.migrator.migrate(writer)
        } catch {
            throw TelemetryError(.cannotOpen, path: path, detail: "\(error)")
        }
    }

    /// Migrations, oldest first, generated from `RecordSchema` (the definition PostgreSQL's DDL
    /// comes from too). Identifiers are stable: they are stored in grdb_migrations.
    static var migrator: DatabaseMigrator { RecordSchema.sqliteMigrator }

    /// Inserts records in one transaction, on the caller's thread.
    public func insert(connections: [ConnectionRecord], requests: [RequestRecord], hellos: [ClientHelloRecord] = []) throws {
        try writer.write { db in try Self.insert(connections, requests, hellos, into: db) }
    }

    /// Inserts records in one transaction without blocking the caller (GRDB's async write): what
    /// `TelemetryWriter` uses.
    public func write(connections: [ConnectionRecord], requests: [RequestRecord], hellos: [ClientHelloRecord] = []) async throws {
        try await writer.write { db in try Self.insert(connections, requests, hellos, into: db) }
    }

    /// The file path.
    public var description: String { path }

    /// Deletes connections older than the retention and their requests, 5,000 connections per
    /// transaction so that the writer's batches go on in between. The file does not shrink
    /// (SQLite reuses the freed pages for new rows; `VACUUM` gives them back to the disk).
    public func maintain(now: Date) async throws {
        guard let retention else { return }
        let cutoff = now.addingTimeInterval(-retention.timeInterval)
        while true {
            let n = try await writer.write { db -> Int in
                let oldest = "SELECT id FROM connection WHERE time < ? ORDER BY time, id LIMIT 5000"
                try db.execute(sql: "DELETE FROM request WHERE connection_id IN (\(oldest))", arguments: [cutoff])
                try db.execute(sql: "DELETE FROM connection WHERE id IN (\(oldest))", arguments: [cutoff])
                return db.changesCount
            }
            if n == 0 { break }
        }
        // The rollups keep whole days: a day goes when all of it is older than the retention.
        let firstKept = RecordDay.text(RecordDay.number(of: cutoff))
        try await writer.write { db in
            for rollup in RecordSchema.Rollup.all {
                try db.execute(sql: "DELETE FROM \(RecordSchema.quote(rollup.name)) WHERE day < ?", arguments: [firstKept])
            }
        }
    }

    private static func insert(_ connections: [ConnectionRecord], _ requests: [RequestRecord], _ hellos: [ClientHelloRecord],
                               into db: Database) throws {
        // Cached statements: compiled once per connection, not once per row.
        for h in hellos {
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO client_hello (hash, first_seen, record_version, bytes, ja3, ja4) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [h.hash, h.firstSeen, h.recordVersion, Data(h.bytes), h.ja3, h.ja4])
        }
        // A connection is recorded once; DO NOTHING (not REPLACE) keeps a repeated id from firing
        // the rollup triggers twice, as PostgreSQL's ON CONFLICT DO NOTHING does.
        for c in connections {
            try db.cachedStatement(
                sql: """
                    INSERT INTO connection (id, time, listener, client_address, client_port, server_name,
                      offered_versions, max_offered_version, record_version, negotiated_version, cipher_suite,
                      ja3, ja4, alpn_offered, alpn_negotiated, outcome, rule, mode, detail, hello_hash, gateway)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """
            ).execute(
                arguments: [
                    c.id, c.time, c.listener, c.clientAddress, c.clientPort, c.serverName, c.offeredVersions,
                    c.maxOfferedVersion, c.recordVersion, c.negotiatedVersion, c.cipherSuite, c.ja3, c.ja4,
                    c.alpnOffered, c.alpnNegotiated, c.outcome, c.rule, c.mode, c.detail, c.helloHash, c.gateway,
                ])
        }
        for r in requests {
            try db.cachedStatement(
                sql: """
                    INSERT INTO request (connection_id, time, method, host, path, status, user_agent, api_key,
                      upstream_latency_ms, outcome, rule, connection_time)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    r.connectionID, r.time, r.method, r.host, r.path, r.status, r.userAgent, r.apiKey,
                    r.upstreamLatencyMs, r.outcome, r.rule, r.connectionTime,
                ])
        }
    }

    /// Every connection record, oldest first.
    public func connections() throws -> [ConnectionRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM connection ORDER BY time, rowid").map(Self.connection)
        }
    }

    /// Every request record, oldest first.
    public func requests() throws -> [RequestRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM request ORDER BY id").map(Self.request)
        }
    }

    /// Legacy clients (max offered version below `minimum`) by server name and JA4, most frequent
    /// first: "who will break on the cutoff".
    public func legacyClients(below minimum: String = "TLSv1.2") throws -> [(serverName: String?, ja4: String?, maxVersion: String?, count: Int)] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT server_name, ja4, max_offered_version, COUNT(*) AS n FROM connection
                    WHERE max_offered_version IN ('SSLv2', 'SSLv3', 'TLSv1.0', 'TLSv1.1')
                       OR (? = 'TLSv1.3' AND max_offered_version = 'TLSv1.2')
                    GROUP BY server_name, ja4, max_offered_version ORDER BY n DESC
                    """,
                arguments: [minimum]
            ).map { ($0["server_name"], $0["ja4"], $0["max_offered_version"], $0["n"]) }
        }
    }

    private static func connection(_ row: Row) -> ConnectionRecord {
        ConnectionRecord(
            id: row["id"], time: row["time"], listener: row["listener"], clientAddress: row["client_address"],
            clientPort: row["client_port"], serverName: row["server_name"], offeredVersions: row["offered_versions"],
            maxOfferedVersion: row["max_offered_version"], recordVersion: row["record_version"],
            negotiatedVersion: row["negotiated_version"], cipherSuite: row["cipher_suite"], ja3: row["ja3"],
            ja4: row["ja4"], alpnOffered: row["alpn_offered"], alpnNegotiated: row["alpn_negotiated"],
            outcome: row["outcome"], rule: row["rule"], mode: row["mode"], detail: row["detail"],
            helloHash: row["hello_hash"], gateway: row["gateway"])
    }

    private static func request(_ row: Row) -> RequestRecord {
        RequestRecord(
            connectionID: row["connection_id"], time: row["time"], method: row["method"], host: row["host"],
            path: row["path"], status: row["status"], userAgent: row["user_agent"], apiKey: row["api_key"],
            upstreamLatencyMs: row["upstream_latency_ms"], outcome: row["outcome"], rule: row["rule"],
            connectionTime: row["connection_time"])
    }
}

extension TelemetryStore: ImpactSource {
    public var sourceDescription: String { "gateway records in \(path)" }

    /// Whole UTC days: what the daily rollups hold.
    public func window(since: Date, until: Date) -> (since: Date, until: Date) {
        RollupQuery.Days.window(since: since, until: until)
    }

    /// From `daily_hello`: a few rows a day, whatever the traffic.
    public func impactClasses(since: Date, until: Date) async throws -> [ImpactObservation] {
        try await rollup(.dailyHello, since: since, until: until, helloHashes: nil)
    }

    /// From `daily_client`, for the hellos asked (the unique key starts with the hash).
    public func impactObservations(since: Date, until: Date, helloHashes: Set<String>?) async throws -> [ImpactObservation] {
        try await rollup(.dailyClient, since: since, until: until, helloHashes: helloHashes)
    }

    private func rollup(_ rollup: RecordSchema.Rollup, since: Date, until: Date,
                        helloHashes: Set<String>?) async throws -> [ImpactObservation] {
        guard let days = RollupQuery.Days(since: since, until: until) else { return [] }
        // SQLite's default limit on host parameters is 32766; stay well under it.
        let chunks: [ArraySlice<String>?] = helloHashes.map { $0.sorted().chunked(500) } ?? [nil]
        return try await writer.read { db in
            var observations: [ImpactObservation] = []
            for chunk in chunks {
                let list = chunk.map { "IN (\(Array(repeating: "?", count: $0.count).joined(separator: ", ")))" }
                let sql = RollupQuery.sql(rollup, placeholder: { _ in "?" }, hashes: list)
                let arguments = StatementArguments([days.first, days.last] + Array(chunk ?? []))
                for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                    observations.append(RollupQuery.observation(
                        text: { row.hasColumn($0) ? row[$0] : nil }, connections: row["connections"], requests: row["requests"],
                        firstSeen: row["first_seen"], lastSeen: row["last_seen"]))
                }
            }
            return observations
        }
    }

    public func clientHellos(hashes: Set<String>) async throws -> [String: ClientHelloRecord] {
        guard !hashes.isEmpty else { return [:] }
        return try await writer.read { db in
            var found: [String: ClientHelloRecord] = [:]
            // SQLite's default limit on host parameters is 32766; stay well under it.
            for chunk in Array(hashes).chunked(500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT * FROM client_hello WHERE hash IN (\(marks))",
                                            arguments: StatementArguments(chunk)) {
                    let data: Data = row["bytes"]
                    let h = ClientHelloRecord(hash: row["hash"], firstSeen: row["first_seen"], recordVersion: row["record_version"],
                                              bytes: [UInt8](data), ja3: row["ja3"], ja4: row["ja4"])
                    found[h.hash] = h
                }
            }
            return found
        }
    }
}
