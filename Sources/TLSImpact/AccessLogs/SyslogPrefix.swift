/// Where the message starts in a line a syslog daemon (or HAProxy's own syslog formatting) wrote:
/// after `<PRI>`, then an RFC 3164 header (`Dec  3 15:33:54 host haproxy[123]: `), an RFC 5424
/// one (`1 2026-12-03T15:33:54.123Z host haproxy 123 - - `), or an RFC 3339 time with host and
/// tag (rsyslog's precise format). A line with none of these starts at its first byte
/// (`log stdout format raw`).
enum SyslogPrefix {
    static func messageStart(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var i = start
        if i < end && p[i] == UInt8(ascii: "<") {
            var j = i + 1
            while j < end && j - i <= 4 && isDigit(p[j]) { j += 1 }
            if j < end && j > i + 1 && p[j] == UInt8(ascii: ">") { i = j + 1 }
        }
        // RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG
        if i < start + 6, i > start, i + 2 < end, p[i] == UInt8(ascii: "1"), p[i + 1] == 0x20 {
            var j = i + 2
            for _ in 0..<5 { j = afterWord(p, j, end) }
            if j < end && p[j] == UInt8(ascii: "-") {
                j += 1
            } else {
                while j < end && p[j] == UInt8(ascii: "[") {
                    while j < end && p[j] != UInt8(ascii: "]") {
                        if p[j] == UInt8(ascii: "\\") { j += 1 }
                        j += 1
                    }
                    j += 1
                }
            }
            if j < end && p[j] == 0x20 { j += 1 }
            return min(j, end)
        }
        // RFC 3164: `Mmm dd hh:mm:ss ` (day padded with a space).
        if end - i >= 16, LogTimestamp.month(p, i) != nil, p[i + 3] == 0x20, p[i + 6] == 0x20,
           isDigit(p[i + 5]), p[i + 9] == UInt8(ascii: ":"), p[i + 12] == UInt8(ascii: ":"), p[i + 15] == 0x20 {
            return afterTag(p, i + 16, end)
        }
        // RFC 3339 time first: `2026-12-03T15:33:54.123456+00:00 host tag: `.
        if end - i >= 20, isDigit(p[i]), isDigit(p[i + 3]), p[i + 4] == UInt8(ascii: "-"),
           p[i + 7] == UInt8(ascii: "-"), p[i + 10] == UInt8(ascii: "T") {
            return afterTag(p, afterWord(p, i, end), end)
        }
        return i
    }

    /// After `host tag: ` or `tag: ` (the tag is the first word ending in a colon, within two words).
    private static func afterTag(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var j = i
        for _ in 0..<2 {
            let next = afterWord(p, j, end)
            let last = next - 2  // the word's last byte, before its space
            if next <= end, last >= j, p[last] == UInt8(ascii: ":"), next - 1 < end, p[next - 1] == 0x20 {
                return next
            }
            j = next
            if j >= end { break }
        }
        return i
    }

    /// The index after the word at `i` and the one space that follows it.
    private static func afterWord(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end && p[j] != 0x20 { j += 1 }
        return j < end ? j + 1 : end
    }

    @inline(__always)
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
