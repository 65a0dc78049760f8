#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Distinct byte strings numbered in the order they are first seen: a log repeats the same few
/// values (versions, suite lists, user agents) on most lines, so a line's facts become a few small
/// numbers, and each distinct value is decoded once. Open addressing on `ByteHash`, the bytes
/// compared on every hash match (equal hashes of different bytes stay different values).
struct ByteInterner {
    private var bytes: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Slot → value number, -1 for empty; a power of two, at most half full.
    private var slots: [Int32] = Array(repeating: -1, count: 64)

    var count: Int { hashes.count }

    init() {}

    /// The number of `p[range]`, adding it when new.
    mutating func intern(_ p: UnsafePointer<UInt8>, _ range: Range<Int>) -> Int32 {
        let n = range.count
        let h = ByteHash.hash(p + range.lowerBound, n)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots[i]
            if id < 0 { break }
            if hashes[Int(id)] == h && equal(Int(id), p + range.lowerBound, n) { return id }
            i = (i + 1) & mask
        }
        let id = Int32(hashes.count)
        hashes.append(h)
        bytes.append(contentsOf: UnsafeBufferPointer(start: p + range.lowerBound, count: n))
        starts.append(bytes.count)
        slots[i] = id
        if hashes.count * 2 > slots.count { grow() }
        return id
    }

    /// The bytes of value `id`.
    func value(_ id: Int32) -> ArraySlice<UInt8> {
        bytes[starts[Int(id)]..<starts[Int(id) + 1]]
    }

    private func equal(_ id: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let s = starts[id]
        guard starts[id + 1] - s == n else { return false }
        if n == 0 { return true }
        return bytes.withUnsafeBufferPointer { b in memcmp(b.baseAddress! + s, p, n) == 0 }
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: -1, count: slots.count * 2)
        let mask = bigger.count - 1
        for (id, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while bigger[i] >= 0 { i = (i + 1) & mask }
            bigger[i] = Int32(id)
        }
        slots = bigger
    }
}
