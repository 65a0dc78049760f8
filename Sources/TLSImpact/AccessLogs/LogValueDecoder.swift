/// Undoes a log's escaping of a value's bytes.
enum LogValueDecoder {
    /// The bytes as text, escapes undone; invalid UTF-8 becomes U+FFFD.
    /// `hashEscapes`: HAProxy's `#HH` applies (captured headers and the request line; sample
    /// fetches are logged as they are).
    static func decode(_ bytes: ArraySlice<UInt8>, _ escaping: LogValueEscaping, backslashes: Bool = false,
                       hashEscapes: Bool = true) -> String {
        switch escaping {
        case .none:
            return String(decoding: bytes, as: UTF8.self)
        case .nginx:
            guard bytes.contains(UInt8(ascii: "\\")) else { return String(decoding: bytes, as: UTF8.self) }
            return String(decoding: hexEscapes(bytes, marker: UInt8(ascii: "\\"), needsX: true), as: UTF8.self)
        case .haproxy:
            var b = Array(bytes)
            if hashEscapes && b.contains(UInt8(ascii: "#")) { b = hexEscapes(b[...], marker: UInt8(ascii: "#"), needsX: false) }
            if backslashes && b.contains(UInt8(ascii: "\\")) { b = backslashEscapes(b) }
            return String(decoding: b, as: UTF8.self)
        case .json:
            guard bytes.contains(UInt8(ascii: "\\")) else { return String(decoding: bytes, as: UTF8.self) }
            return json(bytes)
        }
    }

    /// nginx `\xHH`, HAProxy `#HH`: the byte with that hex value; anything else unchanged.
    static func hexEscapes(_ bytes: ArraySlice<UInt8>, marker: UInt8, needsX: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        let skip = needsX ? 2 : 1
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == marker, i + skip + 2 <= bytes.endIndex,
               !needsX || bytes[i + 1] == UInt8(ascii: "x"),
               let h = hexValue(bytes[i + skip]), let l = hexValue(bytes[i + skip + 1]) {
                out.append(h << 4 | l)
                i += skip + 2
            } else {
                out.append(c)
                i += 1
            }
        }
        return out
    }

    /// HAProxy's `E` flag: `\"`, `\\`, `\]` → the character.
    static func backslashEscapes(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                out.append(bytes[i + 1])
                i += 2
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// A JSON string's content (RFC 8259 §7), without the quotes.
    static func json(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        var pendingHigh: UInt32?
        func append(scalar: UInt32) {
            if let s = Unicode.Scalar(scalar) { out.append(contentsOf: Array(String(Character(s)).utf8)) } else {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            }
        }
        while i < bytes.endIndex {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\"), i + 1 < bytes.endIndex else {
                if let h = pendingHigh { append(scalar: h); pendingHigh = nil }
                out.append(c)
                i += 1
                continue
            }
            let e = bytes[i + 1]
            if e == UInt8(ascii: "u"), i + 6 <= bytes.endIndex,
               let v = (2..<6).reduce(UInt32?(0), { acc, k in
                   guard let acc, let d = hexValue(bytes[i + k]) else { return nil }
                   return acc << 4 | UInt32(d)
               }) {
                if (0xD800...0xDBFF).contains(v) {
                    if let h = pendingHigh { append(scalar: h) }
                    pendingHigh = v
                } else if (0xDC00...0xDFFF).contains(v), let h = pendingHigh {
                    append(scalar: 0x10000 + ((h - 0xD800) << 10) + (v - 0xDC00))
                    pendingHigh = nil
                } else {
                    if let h = pendingHigh { append(scalar: h); pendingHigh = nil }
                    append(scalar: v)
                }
                i += 6
                continue
            }
            if let h = pendingHigh { append(scalar: h); pendingHigh = nil }
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            default: out.append(e)  // \" \\ \/ and anything unknown: the character itself
            }
            i += 2
        }
        if let h = pendingHigh { append(scalar: h) }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
