#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
        /// Inside quotes: no `"`.
        case quoted
        /// Inside quotes, where the log escapes a quote as `\"` (nginx `escape=json`, HAProxy's `E`).
        case escapedQuoted
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

    // The segments flattened for matching: no enum payload (an array) is copied per byte.
    private let kinds: [Kind]
    private let literalStart: [Int]
    private let literalEnd: [Int]
    private let literalBytes: [UInt8]
    private let slots: [Int]
    private let shapes: [Shape]

    private enum Kind: UInt8 { case literal, separator, field }

    static let stepBudget = 4096

    init(segments: [Segment]) {
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
        var kinds: [Kind] = [], starts: [Int] = [], ends: [Int] = [], bytes: [UInt8] = [], slots: [Int] = []
        var shapes: [Shape] = []
        for s in merged {
            starts.append(bytes.count)
            switch s {
            case .literal(let b):
                kinds.append(.literal)
                bytes += b
                slots.append(-1)
                shapes.append(.any)
            case .separator:
                kinds.append(.separator)
                slots.append(-1)
                shapes.append(.any)
            case .field(let slot, let shape, _):
                kinds.append(.field)
                slots.append(slot?.rawValue ?? -1)
                shapes.append(shape)
            }
            ends.append(bytes.count)
        }
        self.kinds = kinds
        self.literalStart = starts
        self.literalEnd = ends
        self.literalBytes = bytes
        self.slots = slots
        self.shapes = shapes
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

    /// Matches `p[start..<end]`; on success each field's range is in `values`.
    func match(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ values: inout LineValues) -> Bool {
        kinds.withUnsafeBufferPointer { kinds in
            literalStart.withUnsafeBufferPointer { ls in
                literalEnd.withUnsafeBufferPointer { le in
                    literalBytes.withUnsafeBufferPointer { lb in
                        slots.withUnsafeBufferPointer { slots in
                            shapes.withUnsafeBufferPointer { shapes in
                                values.withBounds { bounds in
                                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * kinds.count) { stack in
                                        let run = Run(kinds: kinds, literalStart: ls, literalEnd: le, literal: lb,
                                                      slots: slots, shapes: shapes,
                                                      p: p, lineStart: start, end: end, bounds: bounds,
                                                      budget: Self.stepBudget)
                                        return run.run(stack)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One line's match: the flattened segments and the line, as pointers.
    private struct Run {
        let kinds: UnsafeBufferPointer<Kind>
        let literalStart: UnsafeBufferPointer<Int>
        let literalEnd: UnsafeBufferPointer<Int>
        let literal: UnsafeBufferPointer<UInt8>
        let slots: UnsafeBufferPointer<Int>
        let shapes: UnsafeBufferPointer<Shape>
        let p: UnsafePointer<UInt8>
        let lineStart: Int
        let end: Int
        /// `LineValues`' storage: start and end per slot.
        let bounds: UnsafeMutableBufferPointer<Int>
        let budget: Int

        @inline(__always)
        func set(_ slot: Int, _ a: Int, _ b: Int) {
            guard slot >= 0 else { return }
            bounds[2 * slot] = a
            bounds[2 * slot + 1] = b
        }

        /// Matches segments from `i` at `pos` to the end of the line. Iterative: a field that could
        /// end elsewhere pushes where it ended (`stack`: segment, value start, value end); a
        /// mismatch later pops the latest and tries that field's next end.
        func run(_ stack: UnsafeMutableBufferPointer<Int>) -> Bool {
            var budget = self.budget
            var i = 0
            var pos = lineStart
            var depth = 0
            while true {
                var failed = false
                if i == kinds.count {
                    if pos == end { return true }
                    failed = true
                } else {
                    switch kinds[i] {
                    case .literal:
                        if hasLiteral(i, at: pos) {
                            pos += literalEnd[i] - literalStart[i]
                            i += 1
                        } else {
                            failed = true
                        }
                    case .separator:
                        if pos < end && p[pos] == 0x20 {
                            pos += 1
                            i += 1
                        } else if pos == lineStart || p[pos - 1] == 0x20 {
                            i += 1
                        } else {
                            failed = true
                        }
                    case .field:
                        let shape = shapes[i]
                        if shape == .braces {
                            var k = pos
                            if pos < end && p[pos] == UInt8(ascii: "{") {
                                k = pos + 1
                                while k < end && p[k] != UInt8(ascii: "}") { k += 1 }
                                if k < end { k += 1 } else { failed = true }
                            }
                            if !failed {
                                set(slots[i], pos, k)
                                pos = k
                                i += 1
                            }
                        } else if i + 1 == kinds.count {
                            var k = pos
                            while k < end && allows(shape, pos, k) { k += 1 }
                            if k == end {
                                set(slots[i], pos, end)
                                return true
                            }
                            failed = true
                        } else if let k = candidate(i, from: pos, at: pos) {
                            set(slots[i], pos, k)
                            stack[3 * depth] = i
                            stack[3 * depth + 1] = pos
                            stack[3 * depth + 2] = k
                            depth += 1
                            pos = k
                            i += 1
                        } else {
                            failed = true
                        }
                    }
                }
                guard failed else { continue }
                // Backtrack: the latest field that may end further on.
                while true {
                    guard depth > 0 else { return false }
                    budget -= 1
                    if budget < 0 { return false }
                    depth -= 1
                    let fi = stack[3 * depth], from = stack[3 * depth + 1], k = stack[3 * depth + 2]
                    if k < end, allows(shapes[fi], from, k), let next = candidate(fi, from: from, at: skip(fi, k + 1)) {
                        set(slots[fi], from, next)
                        stack[3 * depth + 2] = next
                        depth += 1
                        i = fi + 1
                        pos = next
                        break
                    }
                }
            }
        }

        /// The first place at or after `k` where field `i`'s value (begun at `from`) may end: the
        /// next segment starts there and every byte before it fits the field's shape. A value is
        /// never empty before a separator: HAProxy writes `-` for an empty value; only the
        /// captures (`%hr`, `%hs`, braces) write nothing, and they are matched apart.
        @inline(__always)
        func candidate(_ i: Int, from: Int, at start: Int) -> Int? {
            let next = i + 1
            let nextIsLiteral = kinds[next] == .literal
            let first = nextIsLiteral ? literal[literalStart[next]] : 0x20
            let shape = shapes[i]
            var k = start
            while true {
                if k < end && p[k] == first {
                    if !nextIsLiteral { return k }
                    if hasLiteral(next, at: k)
                        && !(shape == .escapedQuoted && first == UInt8(ascii: "\"") && LineMatcher.isEscaped(p, from, k)) {
                        return k
                    }
                }
                if k >= end || !allows(shape, from, k) { return nil }
                k = skip(i, k + 1)
            }
        }

        /// From `k`, past the bytes that can be neither the next segment's start nor the end of
        /// field `i`'s shape: one tight loop per shape.
        @inline(__always)
        func skip(_ i: Int, _ k: Int) -> Int {
            let next = i + 1
            let first = kinds[next] == .literal ? literal[literalStart[next]] : 0x20
            var k = k
            switch shapes[i] {
            case .token:
                k = LineMatcher.scan(p, k, end, first, 0x20)
            case .number:
                while k < end, p[k] != first, (p[k] >= 0x30 && p[k] <= 0x39) || p[k] == UInt8(ascii: ".") { k += 1 }
            case .quoted, .escapedQuoted:
                k = LineMatcher.scan(p, k, end, first, UInt8(ascii: "\""))
            case .any, .braces:
                if k < end, let hit = memchr(p + k, Int32(first), end - k) {
                    k = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - p
                } else {
                    k = end
                }
            }
            return k
        }

        /// Whether a value of `shape` that started at `from` may contain the byte at `k`.
        @inline(__always)
        func allows(_ shape: Shape, _ from: Int, _ k: Int) -> Bool {
            switch shape {
            case .any, .braces: return true
            case .token: return p[k] != 0x20
            case .number:
                let c = p[k]
                return (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
            case .quoted: return p[k] != UInt8(ascii: "\"")
            case .escapedQuoted: return p[k] != UInt8(ascii: "\"") || LineMatcher.isEscaped(p, from, k)
            }
        }

        @inline(__always)
        func hasLiteral(_ i: Int, at pos: Int) -> Bool {
            let s = literalStart[i]
            let n = literalEnd[i] - s
            guard end - pos >= n else { return false }
            var j = 0
            while j < n {
                if p[pos + j] != literal[s + j] { return false }
                j += 1
            }
            return true
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

    /// The first index from `k` whose byte is `a` or `b` (`end` if none): eight bytes at a time
    /// (a word has byte `a` where `word ^ aaaa…` has a zero byte).
    @inline(__always)
    static func scan(_ p: UnsafePointer<UInt8>, _ k: Int, _ end: Int, _ a: UInt8, _ b: UInt8) -> Int {
        if a == b, k < end {
            guard let hit = memchr(p + k, Int32(a), end - k) else { return end }
            return UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - p
        }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let aa = ones &* UInt64(a)
        let bb = ones &* UInt64(b)
        var i = k
        let raw = UnsafeRawPointer(p)
        while i + 8 <= end {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let x = w ^ aa
            let y = w ^ bb
            if ((x &- ones) & ~x & highs) | ((y &- ones) & ~y & highs) != 0 { break }
            i += 8
        }
        while i < end && p[i] != a && p[i] != b { i += 1 }
        return i
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

    /// The storage, for the matcher's inner loop.
    @inline(__always)
    mutating func withBounds<R>(_ body: (UnsafeMutableBufferPointer<Int>) -> R) -> R {
        bounds.withUnsafeMutableBufferPointer { body($0) }
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
