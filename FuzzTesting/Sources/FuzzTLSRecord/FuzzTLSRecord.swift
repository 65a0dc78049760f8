import FuzzSupport
import NIOCore
import TLSWire

// The record layer (RFC 8446 §5.1) and handshake reassembly: records read from the input must
// re-serialise to exactly the bytes they came from; a nil read leaves the buffer alone; the
// reassembler gives the same messages whatever the fragmenting.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTLSRecord(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let messageChunk = input.chunkSize()
    var buffer = ByteBuffer(bytes: input.rest)
    let original = buffer // NIO's get* read only between the reader and writer indices
    var handshake: [UInt8] = []
    while true {
        let before = buffer.readerIndex
        guard let record = try? buffer.readTLSRecord() else {
            precondition(buffer.readerIndex == before, "a failed or short read moved the reader")
            break
        }
        var again = ByteBuffer()
        record.write(to: &again)
        let consumed = original.getSlice(at: before, length: buffer.readerIndex - before)!
        precondition(again == consumed, "the record does not re-serialise to its bytes")
        if record.contentType == .handshake { handshake += record.fragment.readableBytesView }
    }
    // Reassembly: everything at once, then in pieces; the same messages either way.
    var whole = HandshakeReassembler(maxMessageLength: 4096)
    whole.append(ByteBuffer(bytes: handshake))
    var expected: [HandshakeMessage] = []
    var wholeFailed = false
    do {
        while let m = try whole.nextMessage() {
            precondition(Array(m.bytes.readableBytesView).count == 4 + m.body.readableBytes)
            expected.append(m)
        }
    } catch { wholeFailed = true }
    var pieces = HandshakeReassembler(maxMessageLength: 4096)
    var got: [HandshakeMessage] = []
    var piecesFailed = false
    outer: for c in chunks(handshake, size: messageChunk) {
        pieces.append(ByteBuffer(bytes: c))
        do {
            while let m = try pieces.nextMessage() { got.append(m) }
        } catch { piecesFailed = true; break outer }
    }
    precondition(got == expected, "fragmenting changed the messages")
    precondition(wholeFailed == piecesFailed, "fragmenting changed whether reassembly fails")
    return 0
}
