import Foundation

extension RecordSchema {
    /// The PostgreSQL statements of one migration, in order.
    ///
    /// A table with `partitionedBy` becomes a range-partitioned table (by day, partitions made by
    /// `PostgresRecordStore`) with a default partition, so a row for a day without a partition is
    /// kept rather than refused; its primary key gets the partition column, as PostgreSQL requires.
    /// Indexes on a partitioned table are partitioned indexes: every partition gets its own.
    static func postgresStatements(for migration: Migration) -> [String] {
        var statements: [String] = []
        for step in migration.steps {
            switch step {
            case .createTable(let table):
                let keyType = if case .autoIncrement = table.primaryKey { "BIGSERIAL" } else { "TEXT" }
                var lines = ["\(quote(table.primaryKey.column)) \(keyType) NOT NULL"]
                lines += table.columns.map(definition)
                let key = [table.primaryKey.column] + (table.partitionedBy.map { [$0] } ?? [])
                lines.append("PRIMARY KEY (\(key.map(quote).joined(separator: ", ")))")
                var create = "CREATE TABLE \(quote(table.name)) (\n  \(lines.joined(separator: ",\n  "))\n)"
                if let column = table.partitionedBy {
                    create += " PARTITION BY RANGE (\(quote(column)))"
                    statements.append(create)
                    statements.append("CREATE TABLE \(quote(defaultPartition(of: table.name))) PARTITION OF \(quote(table.name)) DEFAULT")
                } else {
                    statements.append(create)
                }
                for column in table.columns where column.indexed {
                    statements.append(createIndex(Index(name: "\(table.name)_on_\(column.name)", table: table.name, columns: [column.name])))
                }
            case .addColumns(let table, let columns):
                statements.append("ALTER TABLE \(quote(table)) " + columns.map { "ADD COLUMN \(definition($0))" }.joined(separator: ", "))
                for column in columns where column.indexed {
                    statements.append(createIndex(Index(name: "\(table)_on_\(column.name)", table: table, columns: [column.name])))
                }
            case .createIndex(let index):
                statements.append(createIndex(index))
            case .createRollup(let rollup):
                statements += rollupStatements(rollup, .postgres)
            }
        }
        return statements
    }

    /// The default partition of a partitioned table: rows no day partition takes.
    static func defaultPartition(of table: String) -> String { "\(table)_default" }

    private static func definition(_ column: Column) -> String {
        "\(quote(column.name)) \(column.type.postgres)\(column.notNull ? " NOT NULL" : "")"
    }

    private static func createIndex(_ index: Index) -> String {
        "CREATE INDEX \(quote(index.name)) ON \(quote(index.table)) (\(index.columns.map(quote).joined(separator: ", ")))"
    }

    /// A double-quoted identifier (every name here is a constant of this file, never input).
    static func quote(_ name: String) -> String { "\"\(name)\"" }
}

extension RecordSchema.ColumnType {
    /// TEXT, INTEGER, DOUBLE PRECISION, TIMESTAMPTZ (stored to the millisecond, as SQLite's text
    /// dates are), BYTEA.
    var postgres: String {
        switch self {
        case .text: "TEXT"
        case .integer: "INTEGER"
        case .double: "DOUBLE PRECISION"
        case .datetime: "TIMESTAMPTZ"
        case .blob: "BYTEA"
        }
    }
}
