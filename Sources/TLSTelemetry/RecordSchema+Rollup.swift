extension RecordSchema {
    /// A per-day rollup of the connection records: one row per UTC day and distinct value of
    /// `connectionColumns` (and, `byRequester`, of the API key and user agent of the connection's
    /// first request), with the connections and requests counted and the first and last
    /// connection time.
    ///
    /// The database keeps it: triggers on `connection` and `request` (SQLite: per row; PostgreSQL:
    /// per statement, over the statement's transition table) update it in the writer's own
    /// transaction, so every writer keeps it current — this gateway, an older gateway writing to
    /// the same PostgreSQL, a script inserting rows. The migration that makes it fills it from the
    /// rows already stored.
    ///
    /// Key columns are `NOT NULL DEFAULT ''` (a NULL fact is stored as ''), since a unique key
    /// treats NULLs as distinct and the upserts need one row per key. Readers map '' back to nil.
    ///
    /// A connection counts under ('', '') for API key and user agent until its first request is
    /// written; that request moves it to the request's key and agent (so a connection with
    /// requests under two keys counts once, under the first, as its requests do). Rows whose
    /// counts fall to zero are deleted.
    package struct Rollup: Sendable {
        package var name: String
        /// Columns of `connection` in the key, besides the day.
        package var connectionColumns: [String]
        /// Whether the key has the first request's `api_key` and `user_agent`.
        package var byRequester: Bool

        /// What `tlsguard impact` judges by: the hello, host, versions, suite and outcome.
        package static let dailyHello = Rollup(name: "daily_hello", connectionColumns: helloColumns, byRequester: false)
        /// The same with who the client is: address, API key, user agent.
        package static let dailyClient = Rollup(name: "daily_client", connectionColumns: helloColumns + ["client_address"],
                                                byRequester: true)

        /// Every rollup, in the order migrations make them.
        package static let all = [dailyHello, dailyClient]

        static let helloColumns = ["hello_hash", "gateway", "server_name", "offered_versions", "max_offered_version",
                                   "negotiated_version", "cipher_suite", "ja3", "ja4", "outcome"]
        static let requesterColumns = ["api_key", "user_agent"]

        /// Every key column, in the unique index's order: the hello first (what readers select
        /// by), then the day.
        package var keyColumns: [String] {
            [connectionColumns[0], "day"] + connectionColumns.dropFirst() + (byRequester ? Self.requesterColumns : [])
        }

        /// The key columns in the order rows are inserted and grouped: the day, the connection's
        /// columns, the requester's.
        var rowColumns: [String] { ["day"] + connectionColumns + (byRequester ? Self.requesterColumns : []) }

        /// The counted columns, after the key.
        static let measureColumns = ["connections", "requests", "first_seen", "last_seen"]
    }

    package enum Dialect: Sendable {
        case sqlite, postgres

        /// The UTC day of a stored time, as `YYYY-MM-DD` text. SQLite holds GRDB's UTC text
        /// (`YYYY-MM-DD HH:MM:SS.SSS`), PostgreSQL a TIMESTAMPTZ.
        func day(_ time: String) -> String {
            switch self {
            case .sqlite: "substr(\(time), 1, 10)"
            case .postgres: "to_char(\(time) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
            }
        }

        var least: String { self == .sqlite ? "min" : "LEAST" }
        var greatest: String { self == .sqlite ? "max" : "GREATEST" }
        var datetime: String { self == .sqlite ? "DATETIME" : "TIMESTAMPTZ" }
        var key: String { self == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY" }
    }

    /// The statements that make `rollup` in `dialect`: table, indexes, backfill, triggers.
    static func rollupStatements(_ rollup: Rollup, _ dialect: Dialect) -> [String] {
        let q = quote
        let name = rollup.name
        let keys = rollup.keyColumns
        var columns = ["id \(dialect.key)"] + keys.map { "\(q($0)) TEXT NOT NULL DEFAULT ''" }
        columns += ["connections INTEGER NOT NULL", "requests INTEGER NOT NULL",
                    "first_seen \(dialect.datetime) NOT NULL", "last_seen \(dialect.datetime) NOT NULL"]
        var statements = [
            "CREATE TABLE \(q(name)) (\n  \(columns.joined(separator: ",\n  "))\n)",
            "CREATE UNIQUE INDEX \(q("\(name)_key")) ON \(q(name)) (\(keys.map(q).joined(separator: ", ")))",
            // Retention deletes by day; the zero-count sweep finds its rows without a scan.
            "CREATE INDEX \(q("\(name)_on_day")) ON \(q(name)) (day)",
            "CREATE INDEX \(q("\(name)_empty")) ON \(q(name)) (id) WHERE connections = 0 AND requests = 0",
        ]
        statements.append(backfill(rollup, dialect))
        switch dialect {
        case .sqlite: statements += sqliteTriggers(rollup)
        case .postgres: statements += postgresTriggers(rollup)
        }
        return statements
    }

    /// `c.<column>` as a key value (NULL as '').
    private static func keyValue(_ column: String, of table: String = "c") -> String {
        "COALESCE(\(table).\(quote(column)), '')"
    }

    private static func upsertTail(_ rollup: Rollup, _ dialect: Dialect) -> String {
        let t = quote(rollup.name)
        let existing = dialect == .sqlite ? "" : "\(t)."
        return """
            ON CONFLICT (\(rollup.keyColumns.map(quote).joined(separator: ", "))) DO UPDATE SET
              connections = \(existing)connections + excluded.connections, requests = \(existing)requests + excluded.requests,
              first_seen = \(dialect.least)(\(existing)first_seen, excluded.first_seen),
              last_seen = \(dialect.greatest)(\(existing)last_seen, excluded.last_seen)
            """
    }

    private static func insertHead(_ rollup: Rollup) -> String {
        let columns = rollup.rowColumns + Rollup.measureColumns
        return "INSERT INTO \(quote(rollup.name)) (\(columns.map(quote).joined(separator: ", ")))"
    }

    /// The rollup of the rows already stored (the migration's own transaction).
    static func backfill(_ rollup: Rollup, _ dialect: Dialect) -> String {
        var values = [dialect.day("c.time")] + rollup.connectionColumns.map { keyValue($0) }
        if rollup.byRequester { values += Rollup.requesterColumns.map { keyValue($0, of: "f") } }
        let groups = values.joined(separator: ", ")
        let requesterJoin = rollup.byRequester ? "\n  LEFT JOIN request f ON f.id = r.first_id" : ""
        return """
            \(insertHead(rollup))
            SELECT \(groups), COUNT(*), COALESCE(SUM(r.n), 0), MIN(c.time), MAX(c.time)
            FROM connection c
              LEFT JOIN (SELECT connection_id, MIN(id) AS first_id, COUNT(*) AS n FROM request GROUP BY connection_id) r
                ON r.connection_id = c.id\(requesterJoin)
            GROUP BY \(groups)
            """
    }

    // MARK: SQLite: triggers per row

    private static func sqliteTriggers(_ rollup: Rollup) -> [String] {
        let t = quote(rollup.name)
        let day = Dialect.sqlite.day
        let newKey = [day("NEW.time")] + rollup.connectionColumns.map { keyValue($0, of: "NEW") }
            + (rollup.byRequester ? ["''", "''"] : [])
        // The key of NEW request's connection, as a row value in `keyColumns` order.
        let connectionKey = { (requester: [String]) -> String in
            let values = [keyValue(rollup.connectionColumns[0]), day("c.time")] + rollup.connectionColumns.dropFirst().map { keyValue($0) }
            return "(SELECT \((values + requester).joined(separator: ", ")) FROM connection c WHERE c.id = NEW.connection_id)"
        }
        let keyTuple = "(\(rollup.keyColumns.map(quote).joined(separator: ", ")))"
        var triggers = ["""
            CREATE TRIGGER \(quote("\(rollup.name)_on_connection")) AFTER INSERT ON connection BEGIN
            \(insertHead(rollup)) VALUES (\(newKey.joined(separator: ", ")), 1, 0, NEW.time, NEW.time)
            \(upsertTail(rollup, .sqlite));
            END
            """]
        if rollup.byRequester {
            let values = [day("c.time")] + rollup.connectionColumns.map { keyValue($0) } + Rollup.requesterColumns.map { keyValue($0, of: "f") }
            triggers.append("""
                CREATE TRIGGER \(quote("\(rollup.name)_on_request")) AFTER INSERT ON request BEGIN
                UPDATE \(t) SET connections = connections - 1
                  WHERE \(keyTuple) = \(connectionKey(["''", "''"]))
                    AND NOT EXISTS (SELECT 1 FROM request x WHERE x.connection_id = NEW.connection_id AND x.id < NEW.id);
                \(insertHead(rollup))
                  SELECT \(values.joined(separator: ", ")), f.id = NEW.id, 1, c.time, c.time
                  FROM connection c,
                    (SELECT id, api_key, user_agent FROM request WHERE connection_id = NEW.connection_id ORDER BY id LIMIT 1) f
                  WHERE c.id = NEW.connection_id
                \(upsertTail(rollup, .sqlite));
                DELETE FROM \(t) WHERE connections = 0 AND requests = 0;
                END
                """)
        } else {
            triggers.append("""
                CREATE TRIGGER \(quote("\(rollup.name)_on_request")) AFTER INSERT ON request BEGIN
                UPDATE \(t) SET requests = requests + 1 WHERE \(keyTuple) = \(connectionKey([]));
                END
                """)
        }
        return triggers
    }

    // MARK: PostgreSQL: triggers per statement

    /// Statement triggers over transition tables: one aggregate upsert per INSERT statement, rows
    /// in key order (so gateways writing the same rows at once take their locks in one order).
    private static func postgresTriggers(_ rollup: Rollup) -> [String] {
        let t = quote(rollup.name)
        let day = Dialect.postgres.day
        let keyOrder = rollup.keyColumns.map(quote).joined(separator: ", ")
        // Per connection: its day and columns (grouped by), then '' for the requester's.
        let connectionGroup = [day("n.time")] + rollup.connectionColumns.map { keyValue($0, of: "n") }
        let connectionValues = connectionGroup + (rollup.byRequester ? ["''", "''"] : [])
        let onConnection = """
            \(insertHead(rollup))
            SELECT * FROM (
              SELECT \(zip(connectionValues, rollup.rowColumns).map { "\($0) AS \(quote($1))" }.joined(separator: ", ")),
                COUNT(*) AS connections, 0 AS requests, MIN(n.time) AS first_seen, MAX(n.time) AS last_seen
              FROM new_rows n GROUP BY \(connectionGroup.joined(separator: ", "))) g
            ORDER BY \(keyOrder)
            \(upsertTail(rollup, .postgres))
            """
        // Each new request with its connection (in the one day partition `connection_time` names;
        // requests from gateways before v3 have none and probe them all) and, for the key and
        // agent, the connection's first request: searched from the earlier of the connection's
        // and this request's time (a connection's requests come after it), which prunes the
        // request partitions before that day.
        let connection = """
            CROSS JOIN LATERAL (
                SELECT c.* FROM connection c WHERE c.id = r.connection_id AND c.time = r.connection_time
                UNION ALL
                SELECT c.* FROM connection c WHERE c.id = r.connection_id AND r.connection_time IS NULL
                LIMIT 1) c
            """
        let firstRequest = rollup.byRequester ? """

              CROSS JOIN LATERAL (SELECT x.id, x.api_key, x.user_agent FROM request x
                                  WHERE x.connection_id = r.connection_id AND x.time >= LEAST(c.time, r.time)
                                  ORDER BY x.id LIMIT 1) f
            """ : ""
        let firstColumns = rollup.byRequester
            ? ", f.id AS first_id, COALESCE(f.api_key, '') AS api_key, COALESCE(f.user_agent, '') AS user_agent" : ""
        let joined = """
            SELECT r.id, c.time, \(rollup.connectionColumns.map { "\(keyValue($0)) AS \(quote($0))" }.joined(separator: ", "))\(firstColumns)
            FROM new_rows r
              \(connection)\(firstRequest)
            """
        // A request row's day and connection columns, as selected and as grouped by.
        let requestGroup = [day("n.time")] + rollup.connectionColumns.map { "n.\(quote($0))" }
        let dayAndColumns = zip(requestGroup, ["day"] + rollup.connectionColumns).map { "\($0) AS \(quote($1))" }.joined(separator: ", ")
        let onRequest: String
        if rollup.byRequester {
            // Net change per key: a first request moves its connection from ('', '') to its own
            // key and agent, every request counts once. One row per key, so no row is changed twice.
            let columns = rollup.rowColumns.map(quote).joined(separator: ", ")
            onRequest = """
                WITH n AS (\(joined)),
                delta AS (
                  SELECT \(dayAndColumns), '' AS api_key, '' AS user_agent, -1 AS dc, 0 AS dr, n.time
                    FROM n WHERE n.id = n.first_id
                  UNION ALL
                  SELECT \(dayAndColumns), n.api_key, n.user_agent, CASE WHEN n.id = n.first_id THEN 1 ELSE 0 END, 1, n.time
                    FROM n)
                \(insertHead(rollup))
                SELECT \(columns), SUM(dc), SUM(dr), MIN(time), MAX(time)
                FROM delta GROUP BY \(columns)
                ORDER BY \(keyOrder)
                \(upsertTail(rollup, .postgres));
                DELETE FROM \(t) WHERE connections = 0 AND requests = 0
                """
        } else {
            let columns = rollup.rowColumns.map(quote)
            onRequest = """
                WITH n AS (\(joined)),
                delta AS (SELECT \(dayAndColumns), COUNT(*) AS dr FROM n GROUP BY \(requestGroup.joined(separator: ", ")))
                UPDATE \(t) h SET requests = h.requests + delta.dr FROM delta
                WHERE \(columns.map { "h.\($0) = delta.\($0)" }.joined(separator: " AND "))
                """
        }
        var statements: [String] = []
        for (table, body) in [("connection", onConnection), ("request", onRequest)] {
            let function = quote("tlsguard_\(rollup.name)_on_\(table)")
            statements.append("""
                CREATE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $rollup$
                BEGIN
                \(body);
                RETURN NULL;
                END
                $rollup$
                """)
            statements.append("""
                CREATE TRIGGER \(quote("\(rollup.name)_on_\(table)")) AFTER INSERT ON \(quote(table))
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(function)()
                """)
        }
        return statements
    }
}
