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

    // The segments flattened for matching: no enum payload (an array) is copied per byte.
    private let kinds: [Kind]
    private let literalStart: [Int]
    private let literalEnd: [Int]
    private let literalBytes: [UInt8]
    private let slots: [Int]
    private let shapes: [Shape]

    private enum Kind: UInt8 { case literal, separator, field }

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

    /// The fields, in order.
    var fieldNames: [String] {
        segments.compactMap { if case .field(_, _, let n) = $0 { return n } else { return nil } }
    }

    /// Matches `p[start..<end]`; on success each field's range is in `values`.
    func match(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ values: inout LineValues) -> Bool {
        kinds.withUnsafeBufferPointer { kinds in
            literalStart.withUnsafeBufferPointer { ls in
                literalEnd.withUnsafeBufferPointer { le in
                    literalBytes.withUnsafeBufferPointer { lb in
                        slots.withUnsafeBufferPointer { slots in
                            shapes.withUnsafeBufferPointer { shapes in
                                var run = Run(kinds: kinds, literalStart: ls, literalEnd: le, literal: lb, slots: slots,
                                              shapes: shapes, backslashEscapes: backslashEscapes, p: p, lineStart: start,
                                              end: end, budget: Self.stepBudget)
                                return run.step(0, start, &values)
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
        let backslashEscapes: Bool
        let p: UnsafePointer<UInt8>
        let lineStart: Int
        let end: Int
        var budget: Int

        mutating func step(_ i: Int, _ pos: Int, _ values: inout LineValues) -> Bool {
            if i == kinds.count { return pos == end }
            switch kinds[i] {
            case .literal:
                guard hasLiteral(i, at: pos) else { return false }
                return step(i + 1, pos + literalEnd[i] - literalStart[i], &values)
            case .separator:
                if pos < end && p[pos] == 0x20 { return step(i + 1, pos + 1, &values) }
                if pos == lineStart || p[pos - 1] == 0x20 { return step(i + 1, pos, &values) }
                return false
            case .field:
                let shape = shapes[i]
                let slot = slots[i]
                if shape == .braces {
                    var k = pos
                    if pos < end && p[pos] == UInt8(ascii: "{") {
                        k = pos + 1
                        while k < end && p[k] != UInt8(ascii: "}") { k += 1 }
                        guard k < end else { return false }
                        k += 1
                    }
                    values.set(slot: slot, pos, k)
                    return step(i + 1, k, &values)
                }
                if i + 1 == kinds.count {
                    var k = pos
                    while k < end {
                        if !allows(shape, pos, k) { return false }
                        k += 1
                    }
                    values.set(slot: slot, pos, end)
                    return true
                }
                let next = i + 1
                let nextIsLiteral = kinds[next] == .literal
                let first = nextIsLiteral ? literal[literalStart[next]] : 0x20
                var k = pos
                while true {
                    let candidate: Bool
                    if k < end && p[k] == first {
                        candidate = nextIsLiteral ? hasLiteral(next, at: k) && !(backslashEscapes && first == UInt8(ascii: "\"")
                            && LineMatcher.isEscaped(p, pos, k)) : true
                    } else {
                        // A field that wrote nothing after a space: HAProxy does not repeat the separator.
                        candidate = !nextIsLiteral && k == pos && (k == lineStart || p[k - 1] == 0x20)
                    }
                    if candidate {
                        budget -= 1
                        if budget < 0 { return false }
                        values.set(slot: slot, pos, k)
                        if step(next, k, &values) { return true }
                    }
                    if k >= end || !allows(shape, pos, k) { return false }
                    k += 1
                    // Skip the bytes that can be neither the next segment's start nor the end of
                    // the value's shape, in one tight loop per shape.
                    switch shape {
                    case .token:
                        while k < end, p[k] != first, p[k] != 0x20 { k += 1 }
                    case .number:
                        while k < end, p[k] != first, (p[k] >= 0x30 && p[k] <= 0x39) || p[k] == UInt8(ascii: ".") { k += 1 }
                    case .quoted:
                        while k < end, p[k] != first, p[k] != UInt8(ascii: "\"") { k += 1 }
                    case .any, .braces:
                        if k < end, let hit = memchr(p + k, Int32(first), end - k) {
                            k = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - p
                        } else {
                            k = end
                        }
                    }
                }
            }
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
            case .quoted: return p[k] != UInt8(ascii: "\"") || (backslashEscapes && LineMatcher.isEscaped(p, from, k))
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

    /// `slot`: a `LogField`'s raw value, or -1 (not kept).
    @inline(__always)
    mutating func set(slot: Int, _ start: Int, _ end: Int) {
        guard slot >= 0 else { return }
        bounds[2 * slot] = start
        bounds[2 * slot + 1] = end
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
