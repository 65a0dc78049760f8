import Foundation

/// The impact reads of both record stores, over the daily rollups (`RecordSchema.Rollup`): the
/// same SQL for SQLite and PostgreSQL but for the placeholders, and one mapping back to
/// `ImpactObservation` ('' keys are nil facts).
enum RollupQuery {
    /// The whole UTC days that hold `since..<until`: first and last day as `YYYY-MM-DD`, and the
    /// window they cover. nil when the window is empty.
    struct Days: Equatable {
        var first: String
        var last: String
        var since: Date
        var until: Date

        init?(since: Date, until: Date) {
            guard until > since else { return nil }
            let start = RecordDay.number(of: since)
            // `until` is exclusive: a window ending at midnight does not read the next day.
            let last = RecordDay.number(of: until.addingTimeInterval(-0.001))
            first = RecordDay.text(start)
            self.last = RecordDay.text(last)
            self.since = RecordDay.start(start)
            self.until = RecordDay.start(last + 1)
        }

        /// What a record store reads for `since..<until` (`ImpactSource.window`).
        static func window(since: Date, until: Date) -> (since: Date, until: Date) {
            Days(since: since, until: until).map { ($0.since, $0.until) } ?? (since, until)
        }
    }

    /// `SELECT … FROM rollup WHERE day BETWEEN first AND last [AND hello_hash IN …] GROUP BY key`,
    /// with `placeholder(i)` for the i-th parameter (0: first day, 1: last day, 2: the hashes).
    /// `hashes` is the SQL for the hash list (`IN (?, ?)` or `= ANY($3)`), or nil for all.
    static func sql(_ rollup: RecordSchema.Rollup, placeholder: (Int) -> String, hashes: String?) -> String {
        let key = rollup.keyColumns.filter { $0 != "day" }.map(RecordSchema.quote).joined(separator: ", ")
        return """
            SELECT \(key), SUM(connections) AS connections, SUM(requests) AS requests,
              MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen
            FROM \(RecordSchema.quote(rollup.name))
            WHERE day >= \(placeholder(0)) AND day <= \(placeholder(1))\(hashes.map { " AND hello_hash \($0)" } ?? "")
            GROUP BY \(key)
            HAVING SUM(connections) > 0 OR SUM(requests) > 0
            """
    }

    /// One row back as an observation: `text(column)` reads a key column (nil when the rollup has
    /// no such column; '' is a nil fact too).
    static func observation(text: (String) throws -> String?, connections: Int, requests: Int, firstSeen: Date,
                            lastSeen: Date) rethrows -> ImpactObservation {
        func fact(_ column: String) throws -> String? {
            guard let value = try text(column), !value.isEmpty else { return nil }
            return value
        }
        return ImpactObservation(
            source: "gateway", helloHash: try fact("hello_hash"), serverName: try fact("server_name"),
            clientAddress: try fact("client_address"), offeredVersions: try fact("offered_versions"),
            maxOfferedVersion: try fact("max_offered_version"), negotiatedVersion: try fact("negotiated_version"),
            cipherSuite: try fact("cipher_suite"), ja3: try fact("ja3"), ja4: try fact("ja4"), apiKey: try fact("api_key"),
            userAgent: try fact("user_agent"), outcome: try fact("outcome") ?? "unknown", gateway: try fact("gateway"),
            connections: connections, requests: requests, firstSeen: firstSeen, lastSeen: lastSeen)
    }
}

/// UTC days as the record stores count them: a day number (days since 1970-01-01 UTC), its start,
/// and its `YYYY-MM-DD` text (the rollups' `day` column). PostgreSQL's day partitions use them too.
enum RecordDay {
    static func number(of date: Date) -> Int { Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) }
    static func start(_ day: Int) -> Date { Date(timeIntervalSince1970: Double(day) * 86_400) }

    /// `YYYY-MM-DD`; `separator` "" gives the partition names' `YYYYMMDD`.
    static func text(_ day: Int, separator: String = "-") -> String {
        let c = Calendar.utc.dateComponents([.year, .month, .day], from: start(day))
        return [pad(c.year!, 4), pad(c.month!, 2), pad(c.day!, 2)].joined(separator: separator)
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
