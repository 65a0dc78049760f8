import Foundation

/// Where `TelemetryWriter` puts records: `TelemetryStore` (one SQLite file per gateway) or
/// `PostgresRecordStore` (one PostgreSQL database for a fleet). Both have the schema of
/// `RecordSchema`, and both are `ImpactSource`s.
public protocol RecordStore: Sendable {
    /// Writes one batch in one transaction, without blocking the caller's thread. A throw means
    /// nothing of the batch was written (the writer retries it).
    func write(connections: [ConnectionRecord], requests: [RequestRecord], hellos: [ClientHelloRecord]) async throws

    /// Housekeeping the writer runs at start and then daily: retention (rows or day partitions
    /// older than the store's retention go) and, for PostgreSQL, the day partitions ahead.
    func maintain(now: Date) async throws

    /// Releases connections; the store is unusable afterwards. Idempotent.
    func close() async

    /// One line naming the store for logs: a file path, or a URL without its password.
    var description: String { get }
}

extension RecordStore {
    public func maintain(now: Date) async throws {}
    public func close() async {}
}

extension Duration {
    /// Seconds, as Foundation counts them.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
