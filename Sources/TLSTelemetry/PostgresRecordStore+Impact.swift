import Foundation
import NIOCore
import PostgresNIO

/// What `tlsguard impact` reads, with `TelemetryStore`'s meaning and SQL: the daily rollups
/// (`RecordSchema.Rollup`), kept by the database's statement triggers. Counts come back as BIGINT.
extension PostgresRecordStore: ImpactSource {
    public var sourceDescription: String { "gateway records in \(url.redacted)" }

    public func window(since: Date, until: Date) -> (since: Date, until: Date) {
        RollupQuery.Days.window(since: since, until: until)
    }

    public func impactClasses(since: Date, until: Date) async throws -> [ImpactObservation] {
        try await rollup(.dailyHello, since: since, until: until, helloHashes: nil)
    }

    public func impactObservations(since: Date, until: Date, helloHashes: Set<String>?) async throws -> [ImpactObservation] {
        try await rollup(.dailyClient, since: since, until: until, helloHashes: helloHashes)
    }

    private func rollup(_ rollup: RecordSchema.Rollup, since: Date, until: Date,
                        helloHashes: Set<String>?) async throws -> [ImpactObservation] {
        guard let days = RollupQuery.Days(since: since, until: until) else { return [] }
        try await ensureMigrated()
        var bindings = PostgresBindings()
        bindings.append(days.first)
        bindings.append(days.last)
        // One array parameter, however many hashes: no limit like SQLite's on host parameters.
        if let helloHashes { bindings.append(helloHashes.sorted()) }
        let sql = RollupQuery.sql(rollup, placeholder: { "$\($0 + 1)" }, hashes: helloHashes == nil ? nil : "= ANY($3)")
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let columns = Set(rollup.keyColumns)
        return try await withConnection("read observations") { [logger] connection in
            let rows = try await connection.query(query, logger: logger)
            var observations: [ImpactObservation] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                observations.append(try RollupQuery.observation(
                    text: { columns.contains($0) ? try r[$0].decode(String.self) : nil },
                    connections: try r["connections"].decode(Int.self), requests: try r["requests"].decode(Int.self),
                    firstSeen: try r["first_seen"].decode(Date.self), lastSeen: try r["last_seen"].decode(Date.self)))
            }
            return observations
        }
    }

    public func clientHellos(hashes: Set<String>) async throws -> [String: ClientHelloRecord] {
        guard !hashes.isEmpty else { return [:] }
        try await ensureMigrated()
        let all = Array(hashes)
        return try await withConnection("read client hellos") { [logger] connection in
            var found: [String: ClientHelloRecord] = [:]
            // One array parameter, however many hashes: no limit like SQLite's on host parameters.
            let rows = try await connection.query(
                "SELECT hash, first_seen, record_version, bytes, ja3, ja4 FROM client_hello WHERE hash = ANY(\(all))",
                logger: logger)
            for try await (hash, firstSeen, recordVersion, bytes, ja3, ja4) in rows.decode(
                (String, Date, String, ByteBuffer, String?, String?).self) {
                found[hash] = ClientHelloRecord(hash: hash, firstSeen: firstSeen, recordVersion: recordVersion,
                                                bytes: Array(bytes.readableBytesView), ja3: ja3, ja4: ja4)
            }
            return found
        }
    }

    // MARK: Reading back

    /// Every connection record, oldest first (for tests and small databases: it reads them all).
    public func connections() async throws -> [ConnectionRecord] {
        try await ensureMigrated()
        return try await withConnection("read connections") { [logger] connection in
            let rows = try await connection.query("SELECT * FROM connection ORDER BY time, id", logger: logger)
            var records: [ConnectionRecord] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                records.append(ConnectionRecord(
                    id: try r["id"].decode(String.self), time: try r["time"].decode(Date.self),
                    listener: try r["listener"].decode(String.self), clientAddress: try r["client_address"].decode(String.self),
                    clientPort: Int(try r["client_port"].decode(Int32.self)), serverName: try r["server_name"].decode(String?.self),
                    offeredVersions: try r["offered_versions"].decode(String?.self),
                    maxOfferedVersion: try r["max_offered_version"].decode(String?.self),
                    recordVersion: try r["record_version"].decode(String?.self),
                    negotiatedVersion: try r["negotiated_version"].decode(String?.self),
                    cipherSuite: try r["cipher_suite"].decode(String?.self), ja3: try r["ja3"].decode(String?.self),
                    ja4: try r["ja4"].decode(String?.self), alpnOffered: try r["alpn_offered"].decode(String?.self),
                    alpnNegotiated: try r["alpn_negotiated"].decode(String?.self), outcome: try r["outcome"].decode(String.self),
                    rule: try r["rule"].decode(String.self), mode: try r["mode"].decode(String?.self),
                    detail: try r["detail"].decode(String?.self), helloHash: try r["hello_hash"].decode(String?.self),
                    gateway: try r["gateway"].decode(String?.self)))
            }
            return records
        }
    }

    /// Every request record, in the order written.
    public func requests() async throws -> [RequestRecord] {
        try await ensureMigrated()
        return try await withConnection("read requests") { [logger] connection in
            let rows = try await connection.query("SELECT * FROM request ORDER BY id", logger: logger)
            var records: [RequestRecord] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                records.append(RequestRecord(
                    connectionID: try r["connection_id"].decode(String.self), time: try r["time"].decode(Date.self),
                    method: try r["method"].decode(String.self), host: try r["host"].decode(String?.self),
                    path: try r["path"].decode(String.self), status: Int(try r["status"].decode(Int32.self)),
                    userAgent: try r["user_agent"].decode(String?.self), apiKey: try r["api_key"].decode(String?.self),
                    upstreamLatencyMs: try r["upstream_latency_ms"].decode(Double?.self),
                    outcome: try r["outcome"].decode(String.self), rule: try r["rule"].decode(String?.self),
                    connectionTime: try r["connection_time"].decode(Date?.self)))
            }
            return records
        }
    }

    /// Row counts of `connection`, `request` and `client_hello`.
    public func rowCounts() async throws -> (connections: Int, requests: Int, hellos: Int) {
        try await ensureMigrated()
        return try await withConnection("count rows") { [logger] connection in
            let rows = try await connection.query(
                "SELECT (SELECT COUNT(*) FROM connection), (SELECT COUNT(*) FROM request), (SELECT COUNT(*) FROM client_hello)",
                logger: logger)
            for try await (c, r, h) in rows.decode((Int, Int, Int).self) { return (c, r, h) }
            return (0, 0, 0)
        }
    }
}
