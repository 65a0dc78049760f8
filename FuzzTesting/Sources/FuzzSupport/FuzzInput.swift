/// The fuzzer's bytes, with a few leading bytes spent on choices (chunk sizes, modes) so that one
/// input describes both the bytes and how they are fed.
public struct FuzzInput {
    public private(set) var bytes: ArraySlice<UInt8>

    public init(_ start: UnsafeRawPointer, _ count: Int) {
        bytes = ArraySlice(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// The next byte, consumed; 0 when none is left.
    public mutating func byte() -> UInt8 {
        guard let b = bytes.first else { return 0 }
        bytes = bytes.dropFirst()
        return b
    }

    /// A piece size from 1 to 256 taken from one byte: small sizes split records and messages.
    public mutating func chunkSize() -> Int { Int(byte()) + 1 }

    /// What is left, as an array.
    public var rest: [UInt8] { Array(bytes) }
}

/// `rest` cut into pieces of `size` bytes.
public func chunks(_ bytes: [UInt8], size: Int) -> [ArraySlice<UInt8>] {
    stride(from: 0, to: bytes.count, by: max(1, size)).map { bytes[$0..<min($0 + max(1, size), bytes.count)] }
}
