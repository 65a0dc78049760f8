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
            let start = Self.startOfDay(since)
            // `until` is exclusive: a window ending at midnight does not read the next day.
            let lastStart = Self.startOfDay(until.addingTimeInterval(-0.001))
            first = Self.text(start)
            last = Self.text(lastStart)
            self.since = start
            self.until = lastStart.addingTimeInterval(86_400)
        }

        static func startOfDay(_ date: Date) -> Date {
            Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
        }

        static func text(_ day: Date) -> String {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyy-MM-dd"
            return f.string(from: day)
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
