import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import PostgresNIO

/// The fleet's record database: many gateways write their connection, request and ClientHello
/// records to one PostgreSQL, each record naming its gateway, with the schema of `RecordSchema`
/// (the SQLite store's, with PostgreSQL's types) and day partitions on `connection` and `request`.
///
/// ```swift
/// let store = try PostgresRecordStore(url: "postgres://tlsguard@db.internal:5432/records?sslmode=require")
/// let observations = try await store.impactObservations(since: monthAgo, until: .now)
/// await store.close()
/// ```
///
/// A postgres-nio `PostgresClient` (a connection pool) runs in a task of its own from `init` to
/// `close()`; it reconnects by itself after an outage. Nothing connects in `init`: the schema is
/// migrated on first use (or by `migrate()`), so a gateway starts while its database is down and
/// its records wait in the writer's buffer. Each write is one transaction of one multi-row
/// `INSERT … SELECT * FROM unnest($1, $2, …)` per table, one array parameter per column.
public final class PostgresRecordStore: RecordStore, Sendable {
    /// Connection settings that the URL does not carry.
    public struct Options: Sendable {
        /// Connections in the pool. One gateway writes from one task, so a few suffice; a fleet of
        /// gateways multiplies it.
        public var maximumConnections = 4
        /// A TCP connect and the PostgreSQL start-up.
        public var connectTimeout: Duration = .seconds(10)
        /// How long an operation waits for a connection before it fails as `unavailable` (the
        /// writer then retries it, and records wait in its buffer meanwhile).
        public var leaseTimeout: Duration = .seconds(10)
        /// The longest an operation (a batch, a read, a partition change) may take once it has its
        /// connection; past it the caller gets `unavailable` (a batch's commit is then in doubt:
        /// its hellos and connections are safe to write again, its requests could be doubled).
        public var operationTimeout: Duration = .seconds(60)
        /// The bound on applying migrations instead: v3 fills the daily rollups from the rows
        /// already stored, minutes on a large database (docs/gateway-records.md).
        public var migrationTimeout: Duration = .seconds(3600)
        /// Day partitions made ahead of today by `maintain(now:)`.
        public var partitionsAhead = 2

        public init() {}
    }

    /// Where the database is (its `description` has no password).
    public let url: PostgresURL
    /// Day partitions that ended longer ago than this are dropped by `maintain(now:)`; nil keeps
    /// everything.
    public let retention: Duration?
    public let options: Options
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    let state = NIOLockedValueBox(State())

    struct State: Sendable {
        var migrated = false
        /// Days (since 1970-01-01, UTC) with a partition in every partitioned table.
        var partitionDays: Set<Int> = []
        var partitionsLoaded = false
        var closed = false
    }

    /// Parses `url` (`postgres://user:password@host:port/database?sslmode=disable|prefer|require|verify-full`)
    /// and starts the connection pool; connects on first use.
    public convenience init(url: String, retention: Duration? = nil, options: Options = Options(),
                            logger: Logger = Logger(label: "tlsguard.records.postgres")) throws(TelemetryError) {
        self.init(url: try PostgresURL(parsing: url), retention: retention, options: options, logger: logger)
    }

    /// Starts the connection pool for `url`; connects on first use.
    public init(url: PostgresURL, retention: Duration? = nil, options: Options = Options(),
                logger: Logger = Logger(label: "tlsguard.records.postgres")) {
        self.url = url
        self.retention = retention
        self.options = options
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: Self.tls(url.sslMode))
        configuration.options.maximumConnections = max(1, options.maximumConnections)
        configuration.options.connectTimeout = options.connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", "tlsguard")]
        // postgres-nio's own background log stays off: its connection errors reach our log through
        // the writer's failed batches, in our words and without the URL's password.
        let client = PostgresClient(configuration: configuration)
        self.client = client
        self.runner = Task.detached { await client.run() }
    }

    deinit { runner.cancel() }

    private static func tls(_ mode: PostgresURL.SSLMode) -> PostgresClient.Configuration.TLS {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch mode {
        case .disable: return .disable
        case .prefer: return .prefer(unverified)
        case .require: return .require(unverified)
        case .verifyFull: return .require(.makeClientConfiguration())
        }
    }

    /// The URL without its password.
    public var description: String { url.redacted }

    /// Stops the pool and closes its connections. Idempotent; operations after it throw `closed`.
    public func close() async {
        state.withLockedValue { $0.closed = true }
        runner.cancel()
        // The pool closes its connections and returns; should it not within 10 s, go anyway.
        let runner = self.runner
        let done = OnceContinuation<Void>()
        _ = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>, Never>) in
            done.set(continuation)
            Task {
                await runner.value
                done.resume(.success(()))
            }
            Task {
                try? await Task.sleep(for: .seconds(10))
                done.resume(.success(()))
            }
        }
    }

    // MARK: Migrations

    /// Applies the migrations this database lacks, in one transaction under an advisory lock (so
    /// gateways starting together apply each once), recording them in `tlsguard_migrations` with
    /// the same identifiers as SQLite's `grdb_migrations`. Idempotent.
    public func migrate() async throws {
        try await withConnection("migrate", timeout: options.migrationTimeout) { [logger, url] connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLock))", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS tlsguard_migrations (
                      identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """, logger: logger)
                var applied = Set<String>()
                for try await (identifier) in try await connection.query("SELECT identifier FROM tlsguard_migrations", logger: logger)
                    .decode(String.self) {
                    applied.insert(identifier)
                }
                for migration in RecordSchema.migrations where !applied.contains(migration.identifier) {
                    if !applied.isEmpty {
                        // An existing database: a migration may rewrite or fill from its rows.
                        logger.notice("records: migrating an existing database (filling the daily rollups can take minutes on millions of rows)",
                                      metadata: ["migration": "\(migration.identifier)", "database": "\(url.redacted)"])
                    }
                    for sql in RecordSchema.postgresStatements(for: migration) {
                        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO tlsguard_migrations (identifier) VALUES (\(migration.identifier))", logger: logger)
                    logger.info("records: migrated", metadata: ["migration": "\(migration.identifier)", "database": "\(url.redacted)"])
                }
            }
        }
        state.withLockedValue { $0.migrated = true }
    }

    /// The applied migrations' identifiers, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await withConnection("read migrations") { [logger] connection in
            var identifiers: [String] = []
            let rows = try await connection.query(
                "SELECT identifier FROM tlsguard_migrations ORDER BY applied_at, identifier", logger: logger)
            for try await identifier in rows.decode(String.self) { identifiers.append(identifier) }
            return identifiers
        }
    }

    func ensureMigrated() async throws {
        if !state.withLockedValue({ $0.migrated }) { try await migrate() }
    }

    /// Advisory lock keys: schema changes (migrations, partitions) from several gateways one at a time.
    static let schemaLock: Int64 = 0x746C_7367_7264  // "tlsgrd"

    // MARK: Writing

    /// Writes one batch in one transaction: hellos (`ON CONFLICT DO NOTHING`: a hello is stored
    /// once, whichever gateway saw it first), connections (`ON CONFLICT DO NOTHING` on the key, so
    /// a retried batch does not duplicate them), requests. Day partitions for the batch's days are
    /// made first, in their own transaction.
    public func write(connections: [ConnectionRecord], requests: [RequestRecord], hellos: [ClientHelloRecord] = []) async throws {
        guard !(connections.isEmpty && requests.isEmpty && hellos.isEmpty) else { return }
        try await ensureMigrated()
        let days = Set(connections.map { RecordDay.number(of: $0.time) } + requests.map { RecordDay.number(of: $0.time) })
        try await ensurePartitions(days: days, now: Date())
        let statements = Self.insertStatements(connections: connections, requests: requests, hellos: hellos)
        try await withConnection("write") { [logger] connection in
            try await connection.withTransaction(logger: logger) { connection in
                for statement in statements { try await connection.query(statement, logger: logger) }
            }
        }
    }

    /// Rows per INSERT: a bound on one statement's parameter size (about 2 MB of connections).
    static let rowsPerStatement = 5_000

    static func insertStatements(connections: [ConnectionRecord], requests: [RequestRecord],
                                 hellos: [ClientHelloRecord]) -> [PostgresQuery] {
        var statements: [PostgresQuery] = []
        for chunk in hellos.chunked(rowsPerStatement) {
            statements.append(insert(into: "client_hello", conflict: "ON CONFLICT (hash) DO NOTHING", [
                "hash": PostgresColumnArray(chunk.map(\.hash)),
                "first_seen": PostgresColumnArray(chunk.map { storedTime($0.firstSeen) }),
                "record_version": PostgresColumnArray(chunk.map(\.recordVersion)),
                "bytes": PostgresColumnArray(chunk.map { ByteBuffer(bytes: $0.bytes) }),
                "ja3": PostgresColumnArray(chunk.map(\.ja3)),
                "ja4": PostgresColumnArray(chunk.map(\.ja4)),
            ]))
        }
        for chunk in connections.chunked(rowsPerStatement) {
            statements.append(insert(into: "connection", conflict: "ON CONFLICT DO NOTHING", [
                "id": PostgresColumnArray(chunk.map(\.id)),
                "time": PostgresColumnArray(chunk.map { storedTime($0.time) }),
                "listener": PostgresColumnArray(chunk.map(\.listener)),
                "client_address": PostgresColumnArray(chunk.map(\.clientAddress)),
                "client_port": PostgresColumnArray(chunk.map { Int32(clamping: $0.clientPort) }),
                "server_name": PostgresColumnArray(chunk.map(\.serverName)),
                "offered_versions": PostgresColumnArray(chunk.map(\.offeredVersions)),
                "max_offered_version": PostgresColumnArray(chunk.map(\.maxOfferedVersion)),
                "record_version": PostgresColumnArray(chunk.map(\.recordVersion)),
                "negotiated_version": PostgresColumnArray(chunk.map(\.negotiatedVersion)),
                "cipher_suite": PostgresColumnArray(chunk.map(\.cipherSuite)),
                "ja3": PostgresColumnArray(chunk.map(\.ja3)),
                "ja4": PostgresColumnArray(chunk.map(\.ja4)),
                "alpn_offered": PostgresColumnArray(chunk.map(\.alpnOffered)),
                "alpn_negotiated": PostgresColumnArray(chunk.map(\.alpnNegotiated)),
                "outcome": PostgresColumnArray(chunk.map(\.outcome)),
                "rule": PostgresColumnArray(chunk.map(\.rule)),
                "mode": PostgresColumnArray(chunk.map(\.mode)),
                "detail": PostgresColumnArray(chunk.map(\.detail)),
                "hello_hash": PostgresColumnArray(chunk.map(\.helloHash)),
                "gateway": PostgresColumnArray(chunk.map(\.gateway)),
            ]))
        }
        for chunk in requests.chunked(rowsPerStatement) {
            statements.append(insert(into: "request", conflict: "", [
                "connection_id": PostgresColumnArray(chunk.map(\.connectionID)),
                "time": PostgresColumnArray(chunk.map { storedTime($0.time) }),
                "method": PostgresColumnArray(chunk.map(\.method)),
                "host": PostgresColumnArray(chunk.map(\.host)),
                "path": PostgresColumnArray(chunk.map(\.path)),
                "status": PostgresColumnArray(chunk.map { Int32(clamping: $0.status) }),
                "user_agent": PostgresColumnArray(chunk.map(\.userAgent)),
                "api_key": PostgresColumnArray(chunk.map(\.apiKey)),
                "upstream_latency_ms": PostgresColumnArray(chunk.map(\.upstreamLatencyMs)),
                "outcome": PostgresColumnArray(chunk.map(\.outcome)),
                "rule": PostgresColumnArray(chunk.map(\.rule)),
                "connection_time": PostgresColumnArray(chunk.map { $0.connectionTime.map(storedTime) }),
            ]))
        }
        return statements
    }

    /// `INSERT INTO table (columns) SELECT * FROM unnest($1::type[], …)`, the columns and their
    /// types taken from `RecordSchema` (every column but a database-assigned key must be given).
    private static func insert(into table: String, conflict: String,
                               _ values: [String: any PostgresDynamicTypeEncodable]) -> PostgresQuery {
        let columns = RecordSchema.columns(of: table).filter { values[$0.name] != nil }
        precondition(columns.count == values.count, "\(table): a value for a column the schema does not have")
        var bindings = PostgresBindings(capacity: columns.count)
        var arrays: [String] = []
        for (index, column) in columns.enumerated() {
            bindings.append(values[column.name]!)
            arrays.append("$\(index + 1)::\(column.type.postgres.lowercased())[]")
        }
        let sql = """
            INSERT INTO \(RecordSchema.quote(table)) (\(columns.map { RecordSchema.quote($0.name) }.joined(separator: ", ")))
            SELECT * FROM unnest(\(arrays.joined(separator: ", "))) \(conflict)
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// Times are stored to the nearest millisecond, as GRDB writes SQLite's `YYYY-MM-DD
    /// HH:MM:SS.SSS` text, so a window boundary and a record's time compare the same way in both
    /// stores (the parity test pins it).
    static func storedTime(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// Runs statements of this module's own (constants, never input) in one transaction.
    func execute(_ statements: [String], _ what: String) async throws {
        try await withConnection(what) { [logger] connection in
            try await connection.withTransaction(logger: logger) { connection in
                for sql in statements { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
            }
        }
    }

    // MARK: Connections

    /// Runs `body` on a pooled connection, bounded twice: waiting for the connection by
    /// `options.leaseTimeout` (the database is down: `unavailable`), the whole operation by
    /// `options.operationTimeout` (a query that never answers, e.g. on a connection that died
    /// without the pool noticing). The operation runs in a task of its own and the caller is
    /// answered by whichever comes first, so a stuck query cannot stall the writer, `maintain` or
    /// `close`; the abandoned task is cancelled and ends when postgres-nio gives up on it.
    /// `timeout` replaces `options.operationTimeout` (migrations).
    func withConnection<T: Sendable>(_ what: String, timeout: Duration? = nil,
                                     _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        if state.withLockedValue({ $0.closed }) { throw TelemetryError(.closed, path: url.redacted, detail: "cannot \(what)") }
        let client = self.client, path = url.redacted
        let leaseTimeout = options.leaseTimeout, operationTimeout = max(timeout ?? options.operationTimeout, options.leaseTimeout)
        let leased = NIOLockedValueBox(false)
        let operation = Task<T, any Error> {
            try await client.withConnection { connection in
                leased.withLockedValue { $0 = true }
                return try await body(connection)
            }
        }
        let answer = OnceContinuation<T>()
        let watchdog = Task {
            try? await Task.sleep(for: leaseTimeout)
            if Task.isCancelled { return }
            if !leased.withLockedValue({ $0 }) {
                operation.cancel()
                answer.resume(.failure(TelemetryError(.unavailable, path: path, detail: "no connection within \(leaseTimeout) to \(what)")))
                return
            }
            try? await Task.sleep(for: operationTimeout - leaseTimeout)
            if Task.isCancelled { return }
            operation.cancel()
            answer.resume(.failure(TelemetryError(.unavailable, path: path, detail: "no answer within \(operationTimeout) to \(what)")))
        }
        let result: Result<T, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                answer.set(continuation)
                Task {
                    let r = await operation.result
                    watchdog.cancel()
                    answer.resume(r)
                }
            }
        } onCancel: {
            // The caller goes at once; the operation ends when postgres-nio lets it.
            operation.cancel()
            watchdog.cancel()
            answer.resume(.failure(CancellationError()))
        }
        switch result {
        case .success(let value):
            return value
        case .failure(let error as TelemetryError):
            throw error
        case .failure(let error as CancellationError):
            throw error
        case .failure(let error):
            throw TelemetryError(what == "write" ? .writeFailed : .queryFailed, path: path, detail: Self.describe(error))
        }
    }

    /// One line about a postgres-nio error: the server's message and SQLSTATE, or the connection
    /// problem (`PSQLError`'s own description is deliberately empty of detail).
    static func describe(_ error: any Error) -> String {
        if let e = error as? PostgresTransactionError {
            if let inner = e.closureError ?? e.commitError ?? e.beginError { return describe(inner) }
            if let inner = e.rollbackError { return "rollback failed: \(describe(inner))" }
        }
        if let e = error as? PSQLError {
            if let info = e.serverInfo, let message = info[.message] {
                return "\(message)\(info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")"
            }
            if let underlying = e.underlying { return "\(e.code): \(describe(underlying))" }
            return "\(e.code)"
        }
        return "\(error)"
    }

    // MARK: Days

}

/// A continuation resumed by the first of several racers; the others' answers are dropped.
final class OnceContinuation<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<T, any Error>, Never>?
        var early: Result<T, any Error>?
        var done = false
    }
    // `Result<T, any Error>` is Sendable when T is; the box serialises every access.
    private let state = NIOLockedValueBox(State())

    func set(_ continuation: CheckedContinuation<Result<T, any Error>, Never>) {
        let early = state.withLockedValue { s -> Result<T, any Error>? in
            if let e = s.early { s.early = nil; return e }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    func resume(_ result: Result<T, any Error>) {
        let continuation = state.withLockedValue { s -> CheckedContinuation<Result<T, any Error>, Never>? in
            guard !s.done else { return nil }
            s.done = true
            guard let c = s.continuation else {
                s.early = result
                return nil
            }
            s.continuation = nil
            return c
        }
        continuation?.resume(returning: result)
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
