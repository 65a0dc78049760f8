import Foundation
import Logging
import NIOConcurrencyHelpers

/// Batches records into the store from one task, so no event loop ever waits for the database
/// (SQLite or PostgreSQL: any `RecordStore`).
///
/// `record(_:)` never blocks: it appends to a bounded buffer and wakes the writer task through an
/// `AsyncStream`; when the buffer is full the record is dropped and counted — a stalled disk must
/// not stall handshakes. The writer task takes everything buffered, writes it in transactions of at
/// most `batchSize` rows with GRDB's async writes (retrying a failed batch before counting it
/// failed), and waits for the next wake-up. The stream holds at most one pending wake-up and every
/// append yields one after it is buffered, so the task cannot sleep while records wait: that is
/// what replaced the hand-made thread and condition variable, which parked with a full queue in
/// release builds. `flush()` returns once everything recorded before it is written; `close()`
/// writes what is left and ends the task.
///
/// A second task runs the store's `maintain(now:)` at start and then every `maintenanceInterval`
/// (retention; PostgreSQL's day partitions ahead). When the database is down, records wait in the
/// buffer while the batch being written is retried; once the buffer is full, new records are
/// dropped and counted, with a log line at most every 10 seconds.
public final class TelemetryWriter: Sendable {
    /// One thing to write.
    public enum Item: Sendable {
        case connection(ConnectionRecord)
        case request(RequestRecord)
        /// A distinct ClientHello seen for the first time (the store ignores one it has).
        case hello(ClientHelloRecord)
    }

    /// What happened to the records given to `record(_:)` so far.
    public struct Counts: Sendable, Hashable {
        /// Accepted and not yet written (or failed).
        public var queued = 0
        public var written = 0
        /// Refused because the buffer was full or the writer was closed.
        public var dropped = 0
        /// Accepted, but their batch could not be written (after retries).
        public var failed = 0

        public init(queued: Int = 0, written: Int = 0, dropped: Int = 0, failed: Int = 0) {
            self.queued = queued
            self.written = written
            self.dropped = dropped
            self.failed = failed
        }
    }

    /// Whether the writer is keeping up: what `/healthz` reports.
    public enum Health: Sendable, Hashable {
        case ok
        /// Records have been waiting longer than `stallAfter` with no batch written.
        case stalled(seconds: Double)
        /// The last batch could not be written.
        case failing(String)
        /// `close()` was called.
        case closed

        public var isHealthy: Bool { self == .ok }
    }

    private enum Entry: Sendable {
        case item(Item)
        case flush(CheckedContinuation<Void, Never>)
    }

    private struct State: Sendable {
        var buffer: [Entry] = []
        var counts = Counts()
        /// Since when records have waited without a batch being written (nil: none waiting).
        var waitingSince: ContinuousClock.Instant?
        var lastError: String?
        var consecutiveFailures = 0
        var closing = false
        /// The task has taken its last entries: flushes after this return at once.
        var finished = false
        /// When a drop was last logged, and the drops since.
        var lastDropLog: ContinuousClock.Instant?
        var dropsSinceLog = 0
    }

    public let store: any RecordStore
    public let capacity: Int
    public let batchSize: Int
    /// How long records may wait with no batch written before the writer counts as stalled.
    public let stallAfter: Duration
    private let state = NIOLockedValueBox(State())
    private let wakeups: AsyncStream<Void>.Continuation
    private let task: Task<Void, Never>
    private let maintenance: Task<Void, Never>
    private let logger: Logger

    /// Starts the writer task and the maintenance task.
    public init(store: any RecordStore, capacity: Int = 10_000, batchSize: Int = 500, stallAfter: Duration = .seconds(5),
                retryDelays: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(2)],
                maintenanceInterval: Duration = .seconds(86_400),
                logger: Logger = Logger(label: "tlsguard.telemetry")) {
        self.store = store
        self.logger = logger
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.stallAfter = stallAfter
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wakeups = continuation
        let loop = WriterLoop(store: store, state: state, batchSize: self.batchSize, retryDelays: retryDelays, logger: logger)
        self.task = Task.detached {
            for await _ in stream { await loop.drain(final: false) }
            await loop.drain(final: true)
        }
        self.maintenance = Task.detached {
            // A failed run (the database is down at start) is tried again within a minute, not a day.
            let retry = min(maintenanceInterval, .seconds(60))
            while !Task.isCancelled {
                var next = maintenanceInterval
                do {
                    try await store.maintain(now: Date())
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.error("record maintenance failed", metadata: [
                        "error": "\(error)", "database": "\(store.description)", "retry_in": "\(retry)",
                    ])
                    next = retry
                }
                try? await Task.sleep(for: next)
            }
        }
    }

    /// Queues a record; drops it (and counts it) when the buffer is full or the writer is closed.
    /// Returns whether it was queued.
    @discardableResult
    public func record(_ item: Item) -> Bool {
        let capacity = self.capacity
        var logDrops: (count: Int, total: Int)?
        let accepted = state.withLockedValue { s -> Bool in
            guard !s.closing, s.counts.queued < capacity else {
                s.counts.dropped += 1
                s.dropsSinceLog += 1
                // One line per 10 s at most: a full buffer drops on every handshake.
                let now = ContinuousClock.now
                if !s.closing, s.lastDropLog.map({ now - $0 >= .seconds(10) }) ?? true {
                    logDrops = (s.dropsSinceLog, s.counts.dropped)
                    s.lastDropLog = now
                    s.dropsSinceLog = 0
                }
                return false
            }
            if s.counts.queued == 0 { s.waitingSince = .now }
            s.counts.queued += 1
            s.buffer.append(.item(item))
            return true
        }
        // After the append: a wake-up yielded here is seen by a drain that starts after it.
        if accepted { wakeups.yield() }
        if let logDrops {
            logger.warning("record buffer full: dropping records", metadata: [
                "dropped": "\(logDrops.count)", "dropped_total": "\(logDrops.total)", "capacity": "\(capacity)",
                "database": "\(store.description)",
            ])
        }
        return accepted
    }

    /// The counts now.
    public var counts: Counts { state.withLockedValue { $0.counts } }
    /// Records dropped because the buffer was full (or the writer closed).
    public var droppedCount: Int { counts.dropped }
    /// Records written so far.
    public var writtenCount: Int { counts.written }
    /// Records waiting to be written.
    public var queuedCount: Int { counts.queued }
    /// Records whose batch could not be written.
    public var failedCount: Int { counts.failed }

    /// Whether records are being written.
    public var health: Health {
        let stallAfter = self.stallAfter
        return state.withLockedValue { s in
            if s.closing { return .closed }
            if s.consecutiveFailures > 0 { return .failing(s.lastError ?? "a batch could not be written") }
            if let since = s.waitingSince {
                let waited = ContinuousClock.now - since
                if waited > stallAfter {
                    return .stalled(seconds: Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18)
                }
            }
            return .ok
        }
    }

    /// Returns once every record queued before the call has been written (or has failed).
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queued = state.withLockedValue { s -> Bool in
                guard !s.finished else { return false }
                s.buffer.append(.flush(continuation))
                return true
            }
            if queued { wakeups.yield() } else { continuation.resume() }
        }
    }

    /// Stops accepting records, writes what is queued, and ends the task. Idempotent.
    public func close() async {
        let first = state.withLockedValue { s -> Bool in
            defer { s.closing = true }
            return !s.closing
        }
        if first {
            wakeups.finish()
            maintenance.cancel()
        }
        await task.value
        await maintenance.value
    }

    /// The writer task's side: takes buffered entries and writes them.
    private struct WriterLoop: Sendable {
        let store: any RecordStore
        let state: NIOLockedValueBox<State>
        let batchSize: Int
        let retryDelays: [Duration]
        let logger: Logger

        /// Writes until the buffer is empty; with `final`, marks the writer finished when it is.
        func drain(final: Bool) async {
            while true {
                let taken = state.withLockedValue { s -> [Entry]? in
                    guard !s.buffer.isEmpty else {
                        if final { s.finished = true }
                        return nil
                    }
                    defer { s.buffer.removeAll(keepingCapacity: true) }
                    return s.buffer
                }
                guard let taken else { return }
                var batch: [Item] = []
                for entry in taken {
                    switch entry {
                    case .item(let item):
                        batch.append(item)
                        if batch.count >= batchSize {
                            await write(batch)
                            batch.removeAll(keepingCapacity: true)
                        }
                    case .flush(let continuation):
                        if !batch.isEmpty {
                            await write(batch)
                            batch.removeAll(keepingCapacity: true)
                        }
                        continuation.resume()
                    }
                }
                if !batch.isEmpty { await write(batch) }
            }
        }

        /// One transaction; retried after each of `retryDelays` before the batch counts as failed.
        func write(_ batch: [Item]) async {
            var connections: [ConnectionRecord] = []
            var requests: [RequestRecord] = []
            var hellos: [ClientHelloRecord] = []
            for item in batch {
                switch item {
                case .connection(let c): connections.append(c)
                case .request(let r): requests.append(r)
                case .hello(let h): hellos.append(h)
                }
            }
            // Closing with the database failing (down at shutdown): one batch has had its retries;
            // the rest are counted failed at once rather than each waiting through them.
            let giveUp = state.withLockedValue { $0.closing && $0.consecutiveFailures > 0 }
            if giveUp {
                logger.error("closing with the record database failing: \(batch.count) records not written",
                             metadata: ["database": "\(store.description)"])
                settle(batch.count, error: "closed while the database was failing")
                return
            }
            var attempt = 0
            while true {
                do {
                    try await store.write(connections: connections, requests: requests, hellos: hellos)
                    settle(batch.count, error: nil)
                    return
                } catch {
                    guard attempt < retryDelays.count else {
                        logger.error("cannot write \(batch.count) records", metadata: ["error": "\(error)", "database": "\(store.description)"])
                        settle(batch.count, error: "\(error)")
                        return
                    }
                    logger.warning("cannot write \(batch.count) records; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt + 1)"])
                    try? await Task.sleep(for: retryDelays[attempt])
                    attempt += 1
                }
            }
        }

        private func settle(_ n: Int, error: String?) {
            state.withLockedValue { s in
                s.counts.queued -= n
                if let error {
                    s.counts.failed += n
                    s.consecutiveFailures += 1
                    s.lastError = error
                } else {
                    s.counts.written += n
                    s.consecutiveFailures = 0
                }
                // Progress was made: whatever still waits, waits from now.
                s.waitingSince = s.counts.queued > 0 ? .now : nil
            }
        }
    }
}
