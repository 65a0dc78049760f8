/// The lines of one parsing task grouped by the raw bytes of their facts, without making a string
/// per line: each fact's value is numbered by its field's `ByteInterner`, the numbers make the
/// line's key, and the key is numbered again: the group. Strings are made once per distinct
/// value, at the end.
struct LogLineGroups {
    /// One interner per field of `LogField.facts`.
    private(set) var values = [ByteInterner](repeating: ByteInterner(), count: LogField.facts.count)
    private var keys = ByteInterner()
    private(set) var tallies: [AccessLogTally] = []
    private var key = [Int32](repeating: -1, count: LogField.facts.count)

    init() {}

    /// Counts one line. `connection`: the hash identifying its connection, if the line has one;
    /// `newConnection`: whether the line counts as a connection by itself (no identifier).
    mutating func add(_ p: UnsafePointer<UInt8>, _ line: LineValues, time: Double, connection: UInt64?,
                      newConnection: Bool) {
        for (k, field) in LogField.facts.enumerated() {
            key[k] = line.range(field).map { values[k].intern(p, $0) } ?? -1
        }
        let k = key
        let g = Int(k.withUnsafeBytes { raw in
            keys.intern(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), 0..<raw.count)
        })
        if g == tallies.count { tallies.append(AccessLogTally(first: time, last: time)) }
        tallies[g].count(time: time, connection: connection, newConnection: newConnection)
    }

    /// Group `g`'s value number for each field of `LogField.facts` (-1: absent).
    func key(of g: Int) -> [Int32] {
        keys.value(Int32(g)).withUnsafeBytes { raw in
            (0..<LogField.facts.count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
        }
    }
}

/// How many requests and connections a group of lines holds, and when they were seen.
struct AccessLogTally: Sendable {
    var requests = 0
    /// Connections counted line by line (no identifier).
    var lineConnections = 0
    /// Identified connections (hashes of identifier, address and port, and the file).
    var connections = ConnectionSet()
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
        connections.merge(other.connections)
        first = min(first, other.first)
        last = max(last, other.last)
    }
}

/// A set of connection hashes that allocates nothing for the one connection most groups have.
struct ConnectionSet: Sendable {
    private var first: UInt64 = 0
    private var hasFirst = false
    private var rest: Set<UInt64>?

    var count: Int { (hasFirst ? 1 : 0) + (rest?.count ?? 0) }

    @inline(__always)
    mutating func insert(_ h: UInt64) {
        if !hasFirst {
            first = h
            hasFirst = true
        } else if h != first {
            if rest == nil { rest = [h] } else { rest!.insert(h) }
        }
    }

    mutating func merge(_ other: ConnectionSet) {
        if other.hasFirst { insert(other.first) }
        for h in other.rest ?? [] { insert(h) }
    }
}
