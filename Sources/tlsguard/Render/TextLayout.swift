import Foundation

/// The one layout of every text the CLI prints — the scan report, the demo transcript, the
/// configuration summary, the profile list: 100 columns, colour only when asked (a terminal
/// without NO_COLOR), and one wrapping rule. A renderer conforms and gets all of it.
protocol TextLayout {
    /// Whether to colour (ANSI escapes).
    var color: Bool { get }
}

extension TextLayout {
    static var width: Int { 100 }

    func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func good(_ s: String) -> String { paint(s, "32") }
    func warn(_ s: String) -> String { paint(s, "33") }
    func bad(_ s: String) -> String { paint(s, "31") }
    func bold(_ s: String) -> String { paint(s, "1") }

    /// The one wrapping rule of the text report: a line wider than the report width breaks at
    /// `separator` boundaries (the separator's mark stays at the end of the broken line), a piece
    /// that is still too wide breaks at spaces, and a word wider than the room is cut into pieces;
    /// continuation lines start at column `indent`. Nothing is dropped.
    func wrap(_ line: String, indent: Int, separator: String = ", ") -> String {
        guard visibleCount(line) > Self.width else { return line }
        // The line's own indentation stays on its first line.
        let lead = String(line.prefix { $0 == " " })
        let indent = min(indent, Self.width / 2)
        let room = Self.width - indent
        var tokens: [(text: String, separator: String)] = []
        let pieces = line.dropFirst(lead.count).components(separatedBy: separator)
        for (i, piece) in pieces.enumerated() {
            let after = i == pieces.count - 1 ? "" : separator
            guard visibleCount(piece) > room, separator != " " else {
                tokens.append((piece, after))
                continue
            }
            let words = piece.components(separatedBy: " ")
            for (j, word) in words.enumerated() { tokens.append((word, j == words.count - 1 ? after : " ")) }
        }
        var lines: [String] = []
        var current = lead
        var fresh = true
        var pending = ""
        for (text, next) in tokens {
            let candidate = fresh ? current + text : current + pending + text
            if !fresh && visibleCount(candidate) > Self.width {
                lines.append(current + pending.trimmingCharacters(in: .whitespaces))
                current = String(repeating: " ", count: indent) + text
            } else {
                current = candidate
            }
            fresh = false
            pending = next
            // A single word wider than the room (a long name or hex string): cut it.
            while visibleCount(current) > Self.width, !current.contains("\u{1B}") {
                lines.append(String(current.prefix(Self.width)))
                current = String(repeating: " ", count: indent) + current.dropFirst(Self.width)
            }
        }
        lines.append(current)
        return lines.joined(separator: "\n")
    }

    /// The report's lines, each within the width: whatever a section did not wrap itself is
    /// wrapped here, so no line can run past 100 columns.
    func lines(_ out: [String]) -> String {
        out.flatMap { $0.components(separatedBy: "\n") }.map { visibleCount($0) > Self.width ? fit($0) : $0 }
            .joined(separator: "\n") + "\n"
    }

    /// `wrap` at spaces, continuing four columns in from the line's own indentation: for lines
    /// whose layout has no natural column.
    func fit(_ line: String) -> String {
        wrap(line, indent: line.prefix { $0 == " " }.count + 4, separator: " ")
    }

    func visibleCount(_ s: String) -> Int {
        // Colour escapes take no columns.
        var n = 0
        var inEscape = false
        for c in s {
            if c == "\u{1B}" { inEscape = true; continue }
            if inEscape { if c == "m" { inEscape = false }; continue }
            n += 1
        }
        return n
    }
}

/// Plain text in the same layout (the demo transcript, the configuration summary, the profile list).
struct PlainText: TextLayout {
    var color = false
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
