import Foundation
import PostgresNIO

/// Day partitions and retention.
///
/// `connection` and `request` are range-partitioned on `time`, one partition per UTC day, named
/// `<table>_dYYYYMMDD`, plus `<table>_default` for rows no day partition takes (so a write never
/// fails for want of a partition). The store makes the partitions of the days it writes before
/// writing them, and `maintain(now:)` makes today's and the next `partitionsAhead` days' in
/// advance, so a gateway's batches normally never wait for DDL. Retention drops whole day
/// partitions: no `DELETE`, no vacuum, the disk space is back at once.
extension PostgresRecordStore {
    /// Retention (when set), then the partitions of today and the days ahead.
    public func maintain(now: Date) async throws {
        try await ensureMigrated()
        if let retention { try await dropExpired(now: now, retention: retention) }
        let today = RecordDay.number(of: now)
        try await ensurePartitions(days: Set(today...(today + max(0, options.partitionsAhead))), now: now)
    }

    /// The day partitions of `table` (`connection` or `request`), oldest first, as UTC days'
    /// start times.
    public func dayPartitions(of table: String) async throws -> [Date] {
        try await partitionDays(of: table).sorted().map(RecordDay.start)
    }

    /// The first day retention keeps: partitions of earlier days have ended `retention` ago.
    func firstKeptDay(now: Date) -> Int? {
        retention.map { RecordDay.number(of: now.addingTimeInterval(-$0.timeInterval)) }
    }

    /// Makes the partitions of `days` that are missing (skipping days retention would drop: their
    /// rows go to the default partition and are deleted from there).
    func ensurePartitions(days: Set<Int>, now: Date) async throws {
        let keepFrom = firstKeptDay(now: now) ?? Int.min
        var missing = state.withLockedValue { s in days.filter { $0 >= keepFrom && !s.partitionDays.contains($0) } }
        guard !missing.isEmpty else { return }
        if !state.withLockedValue({ $0.partitionsLoaded }) {
            var complete: Set<Int>?
            for (table, _) in RecordSchema.partitionedTables {
                let d = try await partitionDays(of: table)
                complete = complete.map { $0.intersection(d) } ?? d
            }
            let found = complete ?? []
            missing = state.withLockedValue { s in
                s.partitionDays.formUnion(found)
                s.partitionsLoaded = true
                return missing.filter { !s.partitionDays.contains($0) }
            }
        }
        for day in missing.sorted() {
            try await createPartitions(day: day)
            _ = state.withLockedValue { $0.partitionDays.insert(day) }
        }
    }

    /// Makes `day`'s partition of every partitioned table that lacks it, in one transaction under
    /// the schema lock: a table like the parent, the day's rows moved in from the default
    /// partition (there are some if a write ever got there first), then attached. Attaching
    /// rather than `CREATE TABLE … PARTITION OF` because the latter fails when the default
    /// partition holds rows of that day.
    func createPartitions(day: Int) async throws {
        let from = Self.literal(day), to = Self.literal(day + 1)
        let name = Self.partitionSuffix(day)
        try await withConnection("create partitions") { [logger, url] connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLock))", logger: logger)
                try await connection.query("SET LOCAL lock_timeout = '10s'", logger: logger)
                for (table, column) in RecordSchema.partitionedTables {
                    let partition = "\(table)_\(name)"
                    let rows = try await connection.query("SELECT to_regclass(\(partition))::text", logger: logger)
                    var exists = false
                    for try await regclass in rows.decode(String?.self) { exists = regclass != nil }
                    if exists { continue }
                    let (t, p, d, c) = (RecordSchema.quote(table), RecordSchema.quote(partition),
                                        RecordSchema.quote(RecordSchema.defaultPartition(of: table)), RecordSchema.quote(column))
                    for sql in [
                        "CREATE TABLE \(p) (LIKE \(t) INCLUDING DEFAULTS)",
                        """
                        WITH moved AS (DELETE FROM \(d) WHERE \(c) >= '\(from)' AND \(c) < '\(to)' RETURNING *)
                        INSERT INTO \(p) SELECT * FROM moved
                        """,
                        "ALTER TABLE \(t) ATTACH PARTITION \(p) FOR VALUES FROM ('\(from)') TO ('\(to)')",
                    ] {
                        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                    }
                    logger.info("records: partition created", metadata: ["partition": "\(partition)", "database": "\(url.redacted)"])
                }
            }
        }
    }

    /// Drops the day partitions that ended more than `retention` before `now`, deletes the
    /// default partitions' rows older than that, and the rollups' days before the cutoff's.
    func dropExpired(now: Date, retention: Duration) async throws {
        guard let keepFrom = firstKeptDay(now: now) else { return }
        let cutoff = Self.storedTime(now.addingTimeInterval(-retention.timeInterval))
        var dropped: [String] = []
        for (table, _) in RecordSchema.partitionedTables {
            for day in try await partitionDays(of: table) where day < keepFrom {
                let partition = "\(table)_\(Self.partitionSuffix(day))"
                try await withConnection("drop a partition") { [logger] connection in
                    try await connection.withTransaction(logger: logger) { connection in
                        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLock))", logger: logger)
                        // A long read holding the parent must not queue every writer behind this DROP.
                        try await connection.query("SET LOCAL lock_timeout = '10s'", logger: logger)
                        try await connection.query(
                            PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(RecordSchema.quote(partition))"), logger: logger)
                    }
                }
                _ = state.withLockedValue { $0.partitionDays.remove(day) }
                dropped.append(partition)
            }
            let defaultPartition = RecordSchema.quote(RecordSchema.defaultPartition(of: table))
            try await withConnection("apply retention") { [logger] connection in
                _ = try await connection.query(
                    "DELETE FROM \(unescaped: defaultPartition) WHERE time < \(cutoff)", logger: logger)
            }
        }
        // The rollups keep whole days: a day goes when all of it is older than the retention.
        let firstKept = RecordDay.text(RecordDay.number(of: cutoff))
        for rollup in RecordSchema.Rollup.all {
            let table = RecordSchema.quote(rollup.name)
            try await withConnection("apply retention") { [logger] connection in
                _ = try await connection.query("DELETE FROM \(unescaped: table) WHERE day < \(firstKept)", logger: logger)
            }
        }
        if !dropped.isEmpty {
            logger.notice("records: retention dropped day partitions", metadata: [
                "partitions": "\(dropped.count)", "oldest": "\(dropped.first ?? "")", "database": "\(url.redacted)",
                "retention": "\(retention)",
            ])
        }
    }

    /// Days with a partition of `table`, read from the catalogue (partition names carry the day).
    func partitionDays(of table: String) async throws -> Set<Int> {
        try await withConnection("list partitions") { [logger] connection in
            let rows = try await connection.query(
                """
                SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = to_regclass(\(table))
                """, logger: logger)
            var days = Set<Int>()
            for try await name in rows.decode(String.self) {
                if let day = Self.day(fromPartition: name, of: table) { days.insert(day) }
            }
            return days
        }
    }

    static func partitionSuffix(_ day: Int) -> String { "d" + RecordDay.text(day, separator: "") }

    static func day(fromPartition name: String, of table: String) -> Int? {
        let prefix = "\(table)_d"
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard digits.count == 8, let n = Int(digits) else { return nil }
        let components = DateComponents(year: n / 10_000, month: n / 100 % 100, day: n % 100)
        return Calendar.utc.date(from: components).map(RecordDay.number(of:))
    }

    /// The timestamptz literal of a day's start (DDL takes no parameters).
    static func literal(_ day: Int) -> String { RecordDay.text(day) + " 00:00:00+00" }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
