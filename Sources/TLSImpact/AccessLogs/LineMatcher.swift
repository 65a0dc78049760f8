/// A log format compiled for matching lines: literal text, HAProxy's collapsing separators and
/// fields, matched over a line's UTF-8 bytes without building strings.
///
/// A field's value ends where the text after it matches, the nearest such place first (so a
/// quoted value ends at its closing quote); when the rest of the line then fails to match, the
/// next place is tried (an IPv6 address before `:port`, a user agent with spaces before a space).
/// Each field's shape limits where it may end: a token holds no space, a quoted value no
/// unescaped `"`, a `{…}` capture ends at its `}`. That keeps the search short; a step budget
/// bounds it on lines that match nothing.
struct LineMatcher: Sendable {
    enum Shape: Sendable, Hashable {
        /// Any bytes.
        case any
        /// No space (addresses, versions, suite names, times without a zone).
        case token
        /// A number as logs write it: digits, `-` (none, or -1), `+` (HAProxy's logasap), `.`.
        case number
        /// Inside quotes: no `"` unless escaped with a backslash (when the log escapes so).
        case quoted
        /// HAProxy's `%hr`/`%hs`: `{…}`, or nothing when no header is captured.
        case braces
    }

    enum Segment: Sendable, Hashable {
        case literal([UInt8])
        /// HAProxy's space in a log-format: one space, not repeated after a field that wrote nothing.
        case separator
        /// A field; `slot` is the `LogField` it fills, nil when the value is not used.
        case field(slot: LogField?, shape: Shape, name: String)
    }

    let segments: [Segment]
    /// Whether `\"` inside a value is an escaped quote (nginx `escape=json`, HAProxy's `E` flag).
    let backslashEscapes: Bool

    static let stepBudget = 4096

    init(segments: [Segment], backslashEscapes: Bool) {
        // Adjacent literals are one literal.
        var merged: [Segment] = []
        for s in segments {
            if case .literal(let b) = s, case .literal(let a)? = merged.last {
                merged[merged.count - 1] = .literal(a + b)
            } else if case .literal(let b) = s, b.isEmpty {
                continue
            } else {
                merged.append(s)
            }
        }
        self.segments = merged
        self.backslashEscapes = backslashEscapes
    }

    /// The first two fields that follow each other with nothing between them (their values
    /// cannot be told apart), if any.
    var adjacentFields: (String, String)? {
        for i in segments.indices.dropLast() {
            if case .field(_, let shape, let a) = segments[i], shape != .braces,
               case .field(_, _, let b) = segments[i + 1] {
                return (a, b)
            }
        }
        return nil
    }

    /// The fields, in order.
    var fieldNames: [String] {
        segments.compactMap { if case .field(_, _, let n) = $0 { return n } else { return nil } }
    }

    /// Matches `p[start..<end]`; on success the value of each slot is `values[2*slot] ..< values[2*slot+1]`.
    func match(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ values: inout LineValues) -> Bool {
        var budget = Self.stepBudget
        return step(0, start, p, start, end, &values, &budget)
    }

    private func step(_ i: Int, _ pos: Int, _ p: UnsafePointer<UInt8>, _ lineStart: Int, _ end: Int,
                      _ values: inout LineValues, _ budget: inout Int) -> Bool {
        if i == segments.count { return pos == end }
        switch segments[i] {
        case .literal(let bytes):
            guard Self.hasLiteral(bytes, p, pos, end) else { return false }
            return step(i + 1, pos + bytes.count, p, lineStart, end, &values, &budget)
        case .separator:
            if pos < end && p[pos] == 0x20 { return step(i + 1, pos + 1, p, lineStart, end, &values, &budget) }
            if pos == lineStart || p[pos - 1] == 0x20 { return step(i + 1, pos, p, lineStart, end, &values, &budget) }
            return false
        case .field(let slot, let shape, _):
            if shape == .braces {
                var k = pos
                if pos < end && p[pos] == UInt8(ascii: "{") {
                    k = pos + 1
                    while k < end && p[k] != UInt8(ascii: "}") { k += 1 }
                    guard k < end else { return false }
                    k += 1
                }
                values.set(slot, pos, k)
                return step(i + 1, k, p, lineStart, end, &values, &budget)
            }
            if i + 1 == segments.count {
                var k = pos
                while k < end {
                    if !allows(shape, p, pos, k) { return false }
                    k += 1
                }
                values.set(slot, pos, end)
                return true
            }
            var k = pos
            while true {
                if nextStarts(at: k, after: pos, i + 1, p, lineStart, end) {
                    budget -= 1
                    if budget < 0 { return false }
                    values.set(slot, pos, k)
                    if step(i + 1, k, p, lineStart, end, &values, &budget) { return true }
                }
                if k >= end || !allows(shape, p, pos, k) { return false }
                k += 1
            }
        }
    }

    /// Whether a value of `shape` that started at `from` may contain the byte at `k`.
    @inline(__always)
    private func allows(_ shape: Shape, _ p: UnsafePointer<UInt8>, _ from: Int, _ k: Int) -> Bool {
        switch shape {
        case .any, .braces: return true
        case .token: return p[k] != 0x20
        case .number:
            let c = p[k]
            return (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
        case .quoted: return p[k] != UInt8(ascii: "\"") || (backslashEscapes && Self.isEscaped(p, from, k))
        }
    }

    /// Whether segment `i` (a literal or a separator) can start at `k`, ending a value begun at `from`.
    @inline(__always)
    private func nextStarts(at k: Int, after from: Int, _ i: Int, _ p: UnsafePointer<UInt8>, _ lineStart: Int,
                            _ end: Int) -> Bool {
        switch segments[i] {
        case .literal(let bytes):
            guard Self.hasLiteral(bytes, p, k, end) else { return false }
            // An escaped quote inside the value is not the closing one.
            if backslashEscapes && bytes[0] == UInt8(ascii: "\"") && Self.isEscaped(p, from, k) { return false }
            return true
        case .separator:
            if k < end && p[k] == 0x20 { return true }
            // A field that wrote nothing after a space: the separator is not repeated.
            return k == from && (k == lineStart || p[k - 1] == 0x20)
        case .field:
            return false
        }
    }

    @inline(__always)
    static func hasLiteral(_ bytes: [UInt8], _ p: UnsafePointer<UInt8>, _ pos: Int, _ end: Int) -> Bool {
        let n = bytes.count
        guard end - pos >= n else { return false }
        return bytes.withUnsafeBufferPointer { b in
            var j = 0
            while j < n {
                if p[pos + j] != b[j] { return false }
                j += 1
            }
            return true
        }
    }

    /// An odd number of backslashes right before `k` (and after `from`).
    @inline(__always)
    static func isEscaped(_ p: UnsafePointer<UInt8>, _ from: Int, _ k: Int) -> Bool {
        var n = 0
        var j = k - 1
        while j >= from && p[j] == UInt8(ascii: "\\") {
            n += 1
            j -= 1
        }
        return n % 2 == 1
    }
}

/// The byte range of each `LogField` in one line (start and end offsets; -1 when absent).
struct LineValues {
    private(set) var bounds: [Int] = Array(repeating: -1, count: 2 * LogField.count)

    mutating func reset() {
        bounds.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = -1 }
        }
    }

    @inline(__always)
    mutating func set(_ field: LogField?, _ start: Int, _ end: Int) {
        guard let field else { return }
        bounds[2 * field.rawValue] = start
        bounds[2 * field.rawValue + 1] = end
    }

    @inline(__always)
    mutating func clear(_ field: LogField) {
        bounds[2 * field.rawValue] = -1
        bounds[2 * field.rawValue + 1] = -1
    }

    /// The field's range, or nil when the line has none.
    @inline(__always)
    func range(_ field: LogField) -> Range<Int>? {
        let s = bounds[2 * field.rawValue]
        return s < 0 ? nil : s..<bounds[2 * field.rawValue + 1]
    }
}
