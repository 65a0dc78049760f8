import NIOCore
import TLSWire

/// What our clients' results share: an empty start and the error that ended the connection.
protocol ClientHandshakeResult: HandshakeOutcome {
    init()
    var error: TLSClientError? { get set }
}

extension TLS12HandshakeResult: ClientHandshakeResult {}
extension TLS13HandshakeResult: ClientHandshakeResult {}

/// The server's bytes, buffered and counted, read back as whole records.
struct ClientRecordBuffer: Sendable {
    /// Most a server may send on one connection.
    static let maxReceivedBytes = 1 << 20

    private var buffer = ByteBuffer()
    private var receivedBytes = 0

    mutating func append(_ bytes: ByteBuffer) {
        var b = bytes
        receivedBytes += b.readableBytes
        buffer.writeBuffer(&b)
    }

    /// The next whole record; nil: more bytes needed. Throws once the server sent too much.
    mutating func nextRecord() throws -> TLSRecord? {
        guard receivedBytes <= Self.maxReceivedBytes else {
            throw TLSClientError(.malformed, "the server sent more than \(Self.maxReceivedBytes) bytes")
        }
        return try buffer.readTLSRecord()
    }

    mutating func discardReadBytes() { buffer.discardReadBytes() }
}

/// The record loop our TLS 1.2 and TLS 1.3 clients share: the server's bytes are cut into records
/// and handed to the client's `handle(_:out:)` until it is done; an error becomes the result's
/// error; a close or a deadline while the client waits for the server is a failure, except where
/// the client says the silence or the close is itself an answer (after the handshake proper).
protocol ClientRecordLoop: HandshakeStateMachine where Result: ClientHandshakeResult {
    var records: ClientRecordBuffer { get set }
    var result: Result { get set }
    /// What the client waits for, in words ("the ServerHello"), for error messages.
    var waitingFor: String { get }
    /// Not started, or done: events change nothing.
    var isIdle: Bool { get }
    var isDone: Bool { get }
    mutating func markDone()
    mutating func handle(_ record: TLSRecord, out: inout ByteBuffer) throws
    /// Called before a read's records are handled.
    mutating func beginRead()
    /// What a read asks for when the connection goes on (`out`: the bytes to send, maybe none).
    func continuing(with out: ByteBuffer) -> HandshakeAction<Result>
    /// The server closed: true when that is an answer (noted in the result), false for a failure.
    mutating func closeIsAnswer() -> Bool
    /// The deadline passed: true when silence is an answer (noted; `out`: what to send last).
    mutating func silenceIsAnswer(out: inout ByteBuffer) -> Bool
}

extension ClientRecordLoop {
    static func failure(_ error: TLSClientError) -> Result {
        var r = Result()
        r.error = error
        return r
    }

    mutating func beginRead() {}

    mutating func received(_ bytes: ByteBuffer) -> HandshakeAction<Result> {
        guard !isIdle else { return .none }
        records.append(bytes)
        beginRead()
        var out = ByteBuffer()
        do {
            while !isDone, let record = try records.nextRecord() {
                try handle(record, out: &out)
            }
            records.discardReadBytes()
        } catch let e as TLSClientError {
            return fail(e)
        } catch let e as TLSWireError {
            return fail(TLSClientError(.malformed, "malformed answer while waiting for \(waitingFor): \(e)"))
        } catch {
            return fail(TLSClientError(.malformed, "\(error)"))
        }
        if isDone { return .finish(send: out.readableBytes > 0 ? out : nil, result) }
        return continuing(with: out)
    }

    mutating func peerClosed() -> HandshakeAction<Result> {
        guard !isIdle else { return .none }
        guard closeIsAnswer() else {
            return fail(TLSClientError(.closed, "the server closed the connection while we waited for \(waitingFor)"))
        }
        markDone()
        return .finish(send: nil, result)
    }

    mutating func timedOut() -> HandshakeAction<Result> {
        guard !isIdle else { return .none }
        var out = ByteBuffer()
        guard silenceIsAnswer(out: &out) else {
            return fail(TLSClientError(.timedOut, "no answer within the read deadline while we waited for \(waitingFor)"))
        }
        markDone()
        return .finish(send: out.readableBytes > 0 ? out : nil, result)
    }

    mutating func fail(_ error: TLSClientError) -> HandshakeAction<Result> {
        result.error = error
        markDone()
        return .finish(send: nil, result)
    }
}
