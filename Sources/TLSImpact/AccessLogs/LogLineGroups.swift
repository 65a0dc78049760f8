/// The lines of one parsing task grouped by the raw bytes of their facts, without making a string
/// per line: a line's fact values are copied into one key (each prefixed by its length), hashed,
/// and counted into the group with that key. Strings are made once per group, at the end.
struct LogLineGroups {
    struct Group {
        /// For each of `LogField.facts`: a 2-byte length (0xFFFF: absent), then the bytes.
        var key: [UInt8]
        var hash: UInt64
        /// The next group with the same hash, or -1.
        var next: Int
        var tally: AccessLogTally
    }

    private(set) var groups: [Group] = []
    private var index: [UInt64: Int] = [:]
    private var scratch: [UInt8] = []

    static let absent: UInt16 = 0xFFFF

    init() {
        scratch.reserveCapacity(4096)
    }

    /// Counts one line. `connection`: the hash identifying its connection, if the line has one;
    /// `newConnection`: whether the line counts as a connection by itself (no identifier).
    mutating func add(_ p: UnsafePointer<UInt8>, _ values: LineValues, time: Double, connection: UInt64?,
                      newConnection: Bool) {
        scratch.removeAll(keepingCapacity: true)
        for field in LogField.facts {
            if let r = values.range(field) {
                let n = min(r.count, Int(Self.absent) - 1)
                scratch.append(UInt8(truncatingIfNeeded: n >> 8))
                scratch.append(UInt8(truncatingIfNeeded: n))
                scratch.append(contentsOf: UnsafeBufferPointer(start: p + r.lowerBound, count: n))
            } else {
                scratch.append(0xFF)
                scratch.append(0xFF)
            }
        }
        let hash = scratch.withUnsafeBytes { ByteHash.hash($0.baseAddress!, $0.count) }
        var g = index[hash] ?? -1
        while g >= 0 && groups[g].key != scratch { g = groups[g].next }
        if g < 0 {
            groups.append(Group(key: scratch, hash: hash, next: index[hash] ?? -1,
                                tally: AccessLogTally(first: time, last: time)))
            g = groups.count - 1
            index[hash] = g
        }
        groups[g].tally.count(time: time, connection: connection, newConnection: newConnection)
    }

    /// The raw bytes of each fact in a group's key (nil: absent).
    static func values(of key: [UInt8]) -> [LogField: ArraySlice<UInt8>] {
        var out: [LogField: ArraySlice<UInt8>] = [:]
        var i = 0
        for field in LogField.facts {
            let n = Int(key[i]) << 8 | Int(key[i + 1])
            i += 2
            if n == Int(absent) { continue }
            out[field] = key[i..<(i + n)]
            i += n
        }
        return out
    }
}

/// How many requests and connections a group of lines holds, and when they were seen.
struct AccessLogTally: Sendable {
    var requests = 0
    /// Connections counted line by line (no identifier).
    var lineConnections = 0
    /// Identified connections (hashes of identifier, address and port, and the file).
    var connections = Set<UInt64>()
    var first: Double
    var last: Double

    init(first: Double, last: Double) {
        self.first = first
        self.last = last
    }

    var connectionCount: Int { connections.count + lineConnections }

    @inline(__always)
    mutating func count(time: Double, connection: UInt64?, newConnection: Bool) {
        requests += 1
        if let connection { connections.insert(connection) } else if newConnection { lineConnections += 1 }
        if time < first { first = time }
        if time > last { last = time }
    }

    mutating func merge(_ other: AccessLogTally) {
        requests += other.requests
        lineConnections += other.lineConnections
        connections.formUnion(other.connections)
        first = min(first, other.first)
        last = max(last, other.last)
    }
}
