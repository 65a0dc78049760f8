import Foundation
import NIOConcurrencyHelpers

/// The last ClientHello seen from each client address, for the client check's plain-HTTP lookup:
/// a client that cannot finish any handshake still gets an answer there.
///
/// Bounded: at most `capacity` addresses, the least recently seen forgotten first; entries older
/// than `ttl` are not returned.
final class ClientHelloHistory: Sendable {
    private struct Entry {
        var observation: ClientCheckObservation
        var sequence: UInt64
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var sequence: UInt64 = 0
    }

    let capacity: Int
    let ttl: TimeInterval
    private let state = NIOLockedValueBox(State())

    init(capacity: Int, ttl: TimeInterval) {
        self.capacity = max(1, capacity)
        self.ttl = ttl
    }

    func remember(_ observation: ClientCheckObservation) {
        state.withLockedValue { s in
            s.sequence += 1
            s.entries[observation.clientAddress] = Entry(observation: observation, sequence: s.sequence)
            // Prune in batches (a tenth of the capacity) so that remembering stays O(1) amortised.
            if s.entries.count > capacity + max(1, capacity / 10) {
                let keep = s.entries.sorted { $0.value.sequence > $1.value.sequence }.prefix(capacity)
                s.entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
        }
    }

    /// The last observation from `address` no older than the TTL at `now`.
    func last(from address: String, now: Date) -> ClientCheckObservation? {
        state.withLockedValue { s in
            guard let entry = s.entries[address], now.timeIntervalSince(entry.observation.seenAt) <= ttl else { return nil }
            return entry.observation
        }
    }

    var count: Int { state.withLockedValue { min($0.entries.count, capacity) } }
}
