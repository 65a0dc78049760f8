/// The record database's schema, defined once: the SQLite migrations (`RecordSchema+SQLite.swift`,
/// through GRDB) and the PostgreSQL DDL (`RecordSchema+PostgreSQL.swift`) are both generated from
/// `migrations`, so the two stores cannot drift apart. docs/gateway-records.md documents it.
///
/// Never edit an applied migration: append one. Identifiers are stored by both databases
/// (`grdb_migrations`, `tlsguard_migrations`) and must never change.
package enum RecordSchema {
    /// A column's type; each database maps it to its own (`sqlite`, `postgres`).
    package enum ColumnType: Sendable {
        case text, integer, double, datetime, blob
    }

    package struct Column: Sendable {
        package var name: String
        package var type: ColumnType
        package var notNull: Bool
        /// An index of its own, named `<table>_on_<column>` (GRDB's name for `.indexed()`).
        package var indexed: Bool

        package init(_ name: String, _ type: ColumnType, notNull: Bool = false, indexed: Bool = false) {
            self.name = name
            self.type = type
            self.notNull = notNull
            self.indexed = indexed
        }
    }

    /// The primary key, always the table's first column.
    package enum PrimaryKey: Sendable {
        /// A text key the writer chooses (a UUID).
        case text(String)
        /// An integer the database assigns.
        case autoIncrement(String)

        package var column: String {
            switch self {
            case .text(let name), .autoIncrement(let name): name
            }
        }
    }

    package struct Table: Sendable {
        package var name: String
        package var primaryKey: PrimaryKey
        package var columns: [Column]
        /// PostgreSQL only: the table is range-partitioned by day on this column (SQLite has no
        /// partitions). A partitioned table's primary key must include the partition column, so
        /// PostgreSQL's key is `(primaryKey, partitionedBy)`.
        package var partitionedBy: String?
    }

    package struct Index: Sendable {
        package var name: String
        package var table: String
        package var columns: [String]
    }

    package enum Step: Sendable {
        case createTable(Table)
        case addColumns(table: String, [Column])
        case createIndex(Index)
        /// A per-day rollup of connections and requests, kept current by the database itself
        /// (triggers) and filled from the rows already there (`RecordSchema+Rollup.swift`).
        case createRollup(Rollup)
    }

    package struct Migration: Sendable {
        package var identifier: String
        package var steps: [Step]
    }

    /// Oldest first.
    package static let migrations: [Migration] = [
        Migration(identifier: "v1: connection and request records", steps: [
            .createTable(Table(
                name: "connection", primaryKey: .text("id"),
                columns: [
                    Column("time", .datetime, notNull: true, indexed: true),
                    Column("listener", .text, notNull: true),
                    Column("client_address", .text, notNull: true),
                    Column("client_port", .integer, notNull: true),
                    Column("server_name", .text, indexed: true),
                    Column("offered_versions", .text),
                    Column("max_offered_version", .text, indexed: true),
                    Column("record_version", .text),
                    Column("negotiated_version", .text),
                    Column("cipher_suite", .text),
                    Column("ja3", .text),
                    Column("ja4", .text, indexed: true),
                    Column("alpn_offered", .text),
                    Column("alpn_negotiated", .text),
                    Column("outcome", .text, notNull: true),
                    Column("rule", .text, notNull: true),
                    Column("mode", .text),
                    Column("detail", .text),
                ],
                partitionedBy: "time")),
            .createTable(Table(
                name: "request", primaryKey: .autoIncrement("id"),
                columns: [
                    Column("connection_id", .text, notNull: true, indexed: true),
                    Column("time", .datetime, notNull: true),
                    Column("method", .text, notNull: true),
                    Column("host", .text),
                    Column("path", .text, notNull: true),
                    Column("status", .integer, notNull: true),
                    Column("user_agent", .text),
                    Column("api_key", .text, indexed: true),
                    Column("upstream_latency_ms", .double),
                    Column("outcome", .text, notNull: true),
                    Column("rule", .text),
                ],
                partitionedBy: "time")),
        ]),
        Migration(identifier: "v2: distinct ClientHellos, gateway name", steps: [
            .createTable(Table(
                name: "client_hello", primaryKey: .text("hash"),
                columns: [
                    Column("first_seen", .datetime, notNull: true),
                    Column("record_version", .text, notNull: true),
                    Column("bytes", .blob, notNull: true),
                    Column("ja3", .text),
                    Column("ja4", .text),
                ])),
            .addColumns(table: "connection", [Column("hello_hash", .text), Column("gateway", .text)]),
            .createIndex(Index(name: "connection_on_hello_hash", table: "connection", columns: ["hello_hash"])),
        ]),
        // `tlsguard impact` over a month of a busy gateway: judged from `daily_hello` (a few rows a
        // day), the refused clients read from `daily_client`, never the raw rows.
        Migration(identifier: "v3: daily rollups for impact", steps: [
            // The connection's own time, so PostgreSQL's rollup trigger finds a request's
            // connection in one day partition instead of probing them all.
            .addColumns(table: "request", [Column("connection_time", .datetime)]),
            .createRollup(.dailyHello),
            .createRollup(.dailyClient),
        ]),
    ]

    /// The tables partitioned by day in PostgreSQL, with their partition column.
    package static var partitionedTables: [(table: String, column: String)] {
        migrations.flatMap(\.steps).compactMap { step in
            guard case .createTable(let t) = step, let column = t.partitionedBy else { return nil }
            return (t.name, column)
        }
    }

    /// Every column of `table` after all migrations, in table order (the key first).
    package static func columns(of table: String) -> [Column] {
        var columns: [Column] = []
        for step in migrations.flatMap(\.steps) {
            switch step {
            case .createTable(let t) where t.name == table:
                let keyType: ColumnType = if case .autoIncrement = t.primaryKey { .integer } else { .text }
                columns = [Column(t.primaryKey.column, keyType, notNull: true)] + t.columns
            case .addColumns(let name, let added) where name == table:
                columns += added
            default:
                break
            }
        }
        return columns
    }
}
