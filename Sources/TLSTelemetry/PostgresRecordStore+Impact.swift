import Foundation
import NIOCore
import PostgresNIO

/// What `tlsguard impact` reads, with `TelemetryStore`'s meaning: the same query, written for
/// PostgreSQL. Two differences are deliberate: `MIN` over text compares bytes (`COLLATE "C"`, as
/// SQLite's BINARY collation does), not the database's locale; and counts come back as BIGINT.
extension PostgresRecordStore: ImpactSource {
    public var sourceDescription: String { "gateway records in \(url.redacted)" }

    /// One row per distinct set of facts in the window: connections joined with their requests'
    /// API key and user agent (the first of each per connection) and counted.
    public func impactObservations(since: Date, until: Date) async throws -> [ImpactObservation] {
        try await ensureMigrated()
        let since = Self.storedTime(since), until = Self.storedTime(until)
        return try await withConnection("read observations") { [logger] connection in
            let rows = try await connection.query(
                """
                WITH r AS (
                  SELECT connection_id, MIN(api_key COLLATE "C") AS api_key, MIN(user_agent COLLATE "C") AS user_agent,
                    COUNT(*) AS n
                  FROM request WHERE time >= \(since) GROUP BY connection_id)
                SELECT c.hello_hash, c.server_name, c.client_address, c.offered_versions, c.max_offered_version,
                  c.negotiated_version, c.cipher_suite, c.ja3, c.ja4, r.api_key, r.user_agent, c.outcome, c.gateway,
                  COUNT(*) AS connections, SUM(COALESCE(r.n, 0))::bigint AS requests, MIN(c.time) AS first_seen,
                  MAX(c.time) AS last_seen
                FROM connection c LEFT JOIN r ON r.connection_id = c.id
                WHERE c.time >= \(since) AND c.time < \(until)
                GROUP BY c.hello_hash, c.server_name, c.client_address, c.offered_versions, c.max_offered_version,
                  c.negotiated_version, c.cipher_suite, c.ja3, c.ja4, r.api_key, r.user_agent, c.outcome, c.gateway
                """, logger: logger)
            var observations: [ImpactObservation] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                observations.append(ImpactObservation(
                    source: "gateway", helloHash: try r["hello_hash"].decode(String?.self),
                    serverName: try r["server_name"].decode(String?.self),
                    clientAddress: try r["client_address"].decode(String?.self),
                    offeredVersions: try r["offered_versions"].decode(String?.self),
                    maxOfferedVersion: try r["max_offered_version"].decode(String?.self),
                    negotiatedVersion: try r["negotiated_version"].decode(String?.self),
                    cipherSuite: try r["cipher_suite"].decode(String?.self), ja3: try r["ja3"].decode(String?.self),
                    ja4: try r["ja4"].decode(String?.self), apiKey: try r["api_key"].decode(String?.self),
                    userAgent: try r["user_agent"].decode(String?.self), outcome: try r["outcome"].decode(String.self),
                    gateway: try r["gateway"].decode(String?.self), connections: try r["connections"].decode(Int.self),
                    requests: try r["requests"].decode(Int.self), firstSeen: try r["first_seen"].decode(Date.self),
                    lastSeen: try r["last_seen"].decode(Date.self)))
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
                    outcome: try r["outcome"].decode(String.self), rule: try r["rule"].decode(String?.self)))
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
