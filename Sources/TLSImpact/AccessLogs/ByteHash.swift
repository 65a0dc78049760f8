/// A 64-bit hash of bytes, the same in every process and task (Swift's `Hasher` is seeded per
/// process): the chunks of a log are grouped in parallel and their connection sets merged.
enum ByteHash {
    static let seed: UInt64 = 0x243F_6A88_85A3_08D3

    @inline(__always)
    static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        var x = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 32
        return x
    }

    /// Eight bytes at a time, then the tail; the length is mixed in so prefixes differ.
    static func hash(_ p: UnsafeRawPointer, _ count: Int, into h: UInt64 = seed) -> UInt64 {
        var h = mix(h, UInt64(truncatingIfNeeded: count))
        var i = 0
        while i + 8 <= count {
            h = mix(h, p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < count {
                tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = mix(h, tail)
        }
        return mix(h, 0x5851_F42D_4C95_7F2D)
    }
}
