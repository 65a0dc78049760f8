import Foundation
import Logging

/// Batches records into the store on its own thread, so no event loop ever waits for SQLite.
///
/// `record(_:)` never blocks: it appends to a bounded queue, and when the queue is full the record
/// is dropped and counted (`droppedCount`) — a stalled disk must not stall handshakes. The writer
/// thread takes whatever is queued (up to `batchSize`) and writes it in one transaction; `close()`
/// writes everything still queued before it returns.
public final class TelemetryWriter: Sendable {
    /// One thing to write.
    public enum Item: Sendable {
        case connection(ConnectionRecord)
        case request(RequestRecord)
    }

    private struct State {
        var queue: [Item] = []
        var dropped = 0
        var written = 0
        var failedBatches = 0
        var inFlight = false
        var closing = false
        var closed = false
    }

    public let store: TelemetryStore
    public let capacity: Int
    public let batchSize: Int
    private let logger: Logger
    // NSCondition guards `state`; `@unchecked Sendable` box because NSCondition is a class that
    // Foundation does not mark Sendable on Linux, and all access goes through it.
    private let box: ConditionBox<State>
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the writer thread.
    public init(store: TelemetryStore, capacity: Int = 10_000, batchSize: Int = 500, logger: Logger = Logger(label: "tlsguard.telemetry")) {
        self.store = store
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.logger = logger
        self.box = ConditionBox(State())
        let box = self.box
        let finished = self.finished
        let batchSize = self.batchSize
        let thread = Thread {
            Self.run(box: box, store: store, batchSize: batchSize, logger: logger)
            finished.signal()
        }
        thread.name = "tlsguard-telemetry"
        thread.start()
    }

    /// Queues a record; drops it (and counts it) when the queue is full or the writer is closed.
    /// Returns whether it was queued.
    @discardableResult
    public func record(_ item: Item) -> Bool {
        box.withLock { state, condition in
            guard !state.closing, state.queue.count < capacity else {
                state.dropped += 1
                return false
            }
            state.queue.append(item)
            condition.signal()
            return true
        }
    }

    /// Records dropped because the queue was full (or the writer closed).
    public var droppedCount: Int { box.withLock { s, _ in s.dropped } }
    /// Records written so far.
    public var writtenCount: Int { box.withLock { s, _ in s.written } }
    /// Records waiting to be written.
    public var queuedCount: Int { box.withLock { s, _ in s.queue.count } }

    /// Waits until everything queued so far has been written (tests, shutdown). At most `timeout` seconds.
    public func flush(timeout: TimeInterval = 10) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if box.withLock({ s, _ in (s.queue.isEmpty && !s.inFlight) || s.closed }) { return }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// Stops accepting records, writes what is queued, and stops the thread. Idempotent.
    public func close() {
        let first = box.withLock { s, c -> Bool in
            defer { s.closing = true; c.signal() }
            return !s.closing
        }
        if first { finished.wait() }
    }

    private static func run(box: ConditionBox<State>, store: TelemetryStore, batchSize: Int, logger: Logger) {
        while true {
            let batch: [Item]? = box.withLock { s, c in
                while s.queue.isEmpty && !s.closing { c.wait() }
                if s.queue.isEmpty && s.closing {
                    s.closed = true
                    return nil
                }
                let n = min(batchSize, s.queue.count)
                let taken = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                s.inFlight = true
                return taken
            }
            guard let batch else { return }
            var connections: [ConnectionRecord] = []
            var requests: [RequestRecord] = []
            for item in batch {
                switch item {
                case .connection(let c): connections.append(c)
                case .request(let r): requests.append(r)
                }
            }
            do {
                try store.insert(connections: connections, requests: requests)
                box.withLock { s, _ in s.written += batch.count; s.inFlight = false }
            } catch {
                logger.error("cannot write \(batch.count) records", metadata: ["error": "\(error)", "database": "\(store.path)"])
                box.withLock { s, _ in s.failedBatches += 1; s.dropped += batch.count; s.inFlight = false }
            }
        }
    }
}

/// A value guarded by an NSCondition.
///
/// `@unchecked Sendable`: every access to `value` happens inside `withLock`, under the condition's lock.
final class ConditionBox<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value, NSCondition) throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body(&value, condition)
    }
}
