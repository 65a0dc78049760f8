import GRDB

extension RecordSchema {
    /// GRDB's migrator for `migrations`: the same statements the hand-written v1 and v2 made, so a
    /// database created before the schema was shared migrates (and reads) as before.
    static var sqliteMigrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier) { db in
                for step in migration.steps { try apply(step, to: db) }
            }
        }
        return migrator
    }

    private static func apply(_ step: Step, to db: Database) throws {
        switch step {
        case .createTable(let table):
            try db.create(table: table.name) { t in
                switch table.primaryKey {
                case .text(let name): t.column(name, .text).primaryKey()
                case .autoIncrement(let name): t.autoIncrementedPrimaryKey(name)
                }
                for column in table.columns {
                    let c = t.column(column.name, column.type.sqlite)
                    if column.notNull { c.notNull() }
                    if column.indexed { c.indexed() }
                }
            }
        case .addColumns(let table, let columns):
            try db.alter(table: table) { t in
                for column in columns {
                    let c = t.add(column: column.name, column.type.sqlite)
                    if column.notNull { c.notNull() }
                }
            }
            for column in columns where column.indexed {
                try db.create(index: "\(table)_on_\(column.name)", on: table, columns: [column.name])
            }
        case .createIndex(let index):
            try db.create(index: index.name, on: index.table, columns: index.columns)
        case .createRollup(let rollup):
            for sql in rollupStatements(rollup, .sqlite) { try db.execute(sql: sql) }
        }
    }
}

extension RecordSchema.ColumnType {
    var sqlite: Database.ColumnType {
        switch self {
        case .text: .text
        case .integer: .integer
        case .double: .double
        case .datetime: .datetime
        case .blob: .blob
        }
    }
}
