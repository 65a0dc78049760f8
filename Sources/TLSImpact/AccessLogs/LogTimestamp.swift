import Foundation

/// Reads the timestamps logs write, from bytes, as seconds since 1970 (UTC).
///
/// A time without a zone (HAProxy's `%t` and `%tr`, an ISO 8601 time without an offset) is read
/// in `zone`: the host's time zone, which is the one HAProxy wrote it in when the log is read on
/// the proxy's host (`TZ` overrides it). Not thread-safe: one per parsing task (it caches the
/// zone's offset per hour).
struct LogTimestamp {
    let format: LogTimeFormat
    let zone: TimeZone
    private var offsetHour = Int.min
    private var offsetSeconds = 0

    init(format: LogTimeFormat, zone: TimeZone) {
        self.format = format
        self.zone = zone
    }

    mutating func parse(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        switch format {
        case .commonLog: return commonLog(p, start, end, zoned: true)
        case .commonLogLocalMilliseconds: return commonLog(p, start, end, zoned: false)
        case .iso8601: return iso8601(p, start, end)
        case .epochSeconds: return Self.epoch(p, start, end)
        case .iso8601OrEpoch:
            return end - start > 4 && p[start + 4] == UInt8(ascii: "-") ? iso8601(p, start, end) : Self.epoch(p, start, end)
        }
    }

    /// `10/Oct/2000:13:55:36 -0700` (zoned) or `10/Oct/2000:13:55:36.123` (local).
    private mutating func commonLog(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int, zoned: Bool) -> Double? {
        guard e - s >= 20,
              let day = Self.digits(p, s, 2), p[s + 2] == UInt8(ascii: "/"),
              let month = Self.month(p, s + 3), p[s + 6] == UInt8(ascii: "/"),
              let year = Self.digits(p, s + 7, 4), p[s + 11] == UInt8(ascii: ":"),
              let hour = Self.digits(p, s + 12, 2), p[s + 14] == UInt8(ascii: ":"),
              let minute = Self.digits(p, s + 15, 2), p[s + 17] == UInt8(ascii: ":"),
              let second = Self.digits(p, s + 18, 2)
        else { return nil }
        var t = Double(Self.seconds(year, month, day, hour, minute, second))
        var i = s + 20
        if i < e && p[i] == UInt8(ascii: ".") {
            guard let (fraction, next) = Self.fraction(p, i + 1, e) else { return nil }
            t += fraction
            i = next
        }
        if zoned {
            guard i < e && p[i] == 0x20, let (offset, next) = Self.offset(p, i + 1, e), next == e else { return nil }
            return t - Double(offset)
        }
        guard i == e else { return nil }
        return local(t)
    }

    /// `2000-10-10T13:55:36`, optional fraction, then `Z`, `±hh:mm`, `±hhmm` or nothing (local).
    private mutating func iso8601(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Double? {
        guard e - s >= 19,
              let year = Self.digits(p, s, 4), p[s + 4] == UInt8(ascii: "-"),
              let month = Self.digits(p, s + 5, 2), p[s + 7] == UInt8(ascii: "-"),
              let day = Self.digits(p, s + 8, 2), p[s + 10] == UInt8(ascii: "T") || p[s + 10] == 0x20,
              let hour = Self.digits(p, s + 11, 2), p[s + 13] == UInt8(ascii: ":"),
              let minute = Self.digits(p, s + 14, 2), p[s + 16] == UInt8(ascii: ":"),
              let second = Self.digits(p, s + 17, 2),
              (1...12).contains(month)
        else { return nil }
        var t = Double(Self.seconds(year, month, day, hour, minute, second))
        var i = s + 19
        if i < e && (p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: ",")) {
            guard let (fraction, next) = Self.fraction(p, i + 1, e) else { return nil }
            t += fraction
            i = next
        }
        if i == e { return local(t) }
        if p[i] == UInt8(ascii: "Z") && i + 1 == e { return t }
        guard let (offset, next) = Self.offset(p, i, e), next == e else { return nil }
        return t - Double(offset)
    }

    /// `1700000000` or `1700000000.123`.
    static func epoch(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Double? {
        var i = s
        var whole = 0
        while i < e, p[i] >= 0x30, p[i] <= 0x39 {
            whole = whole &* 10 &+ Int(p[i] - 0x30)
            i += 1
            if i - s > 12 { return nil }
        }
        guard i > s else { return nil }
        var t = Double(whole)
        if i < e && p[i] == UInt8(ascii: ".") {
            guard let (fraction, next) = fraction(p, i + 1, e) else { return nil }
            t += fraction
            i = next
        }
        return i == e ? t : nil
    }

    /// A wall-clock time in `zone`, as UTC.
    private mutating func local(_ naive: Double) -> Double {
        let hour = Int((naive / 3600).rounded(.down))
        if hour != offsetHour {
            // The offset at the naive instant, then at the corrected one (they differ only next to
            // a daylight-saving change).
            let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: naive))
            offsetSeconds = zone.secondsFromGMT(for: Date(timeIntervalSince1970: naive - Double(first)))
            offsetHour = hour
        }
        return naive - Double(offsetSeconds)
    }

    // MARK: - Pieces

    @inline(__always)
    static func digits(_ p: UnsafePointer<UInt8>, _ at: Int, _ n: Int) -> Int? {
        var v = 0
        for j in 0..<n {
            let c = p[at + j]
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    /// Digits after a decimal point, as a fraction of a second.
    static func fraction(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> (Double, Int)? {
        var i = s
        var value = 0.0
        var scale = 0.1
        while i < e, p[i] >= 0x30, p[i] <= 0x39 {
            value += Double(p[i] - 0x30) * scale
            scale /= 10
            i += 1
        }
        return i > s ? (value, i) : nil
    }

    /// `+hhmm`, `-hh:mm` → seconds east of UTC.
    static func offset(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> (Int, Int)? {
        guard e - s >= 5, p[s] == UInt8(ascii: "+") || p[s] == UInt8(ascii: "-"),
              let hours = digits(p, s + 1, 2) else { return nil }
        var i = s + 3
        if p[i] == UInt8(ascii: ":") { i += 1 }
        guard e - i >= 2, let minutes = digits(p, i, 2) else { return nil }
        let v = hours * 3600 + minutes * 60
        return (p[s] == UInt8(ascii: "-") ? -v : v, i + 2)
    }

    /// `Jan` … `Dec` → 1 … 12.
    static func month(_ p: UnsafePointer<UInt8>, _ at: Int) -> Int? {
        let key = UInt32(p[at]) << 16 | UInt32(p[at + 1]) << 8 | UInt32(p[at + 2])
        switch key {
        case 0x4A616E: return 1   // Jan
        case 0x466562: return 2   // Feb
        case 0x4D6172: return 3   // Mar
        case 0x417072: return 4   // Apr
        case 0x4D6179: return 5   // May
        case 0x4A756E: return 6   // Jun
        case 0x4A756C: return 7   // Jul
        case 0x417567: return 8   // Aug
        case 0x536570: return 9   // Sep
        case 0x4F6374: return 10  // Oct
        case 0x4E6F76: return 11  // Nov
        case 0x446563: return 12  // Dec
        default: return nil
        }
    }

    /// Seconds since 1970 of a proleptic Gregorian date and time (days-from-civil).
    static func seconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }
}
