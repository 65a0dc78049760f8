import NIOCore

/// What a conversation asks the driver to do after an event.
enum ConnectionAction<Result: Sendable>: Sendable {
    /// Nothing: keep waiting under the deadline already armed.
    case none
    /// Send, then wait for the server under the driver's read deadline.
    case send(ByteBuffer)
    /// Wait exactly this long (in place of the armed deadline), then `timedOut()`.
    case wait(TimeAmount)
    /// Send, then wait exactly this long.
    case sendThenWait(ByteBuffer, TimeAmount)
    /// Send the bytes (if any), then close: the result is final.
    case finish(send: ByteBuffer?, Result)
}

/// The protocol of one connection, without I/O: events in, actions out. `ConnectionDriver` runs it
/// on the channel's event loop and nowhere else, so it needs no locks.
///
/// The events that end a connection — the deadline, the peer closing, a socket error — return a
/// final result by their type, so no conversation can leave its driver waiting with no deadline.
protocol ConnectionConversation: Sendable {
    associatedtype Result: Sendable

    /// The connection is up (usually: the first flight, under the read deadline).
    mutating func start() -> ConnectionAction<Result>
    /// Bytes from the server, in any chunking.
    mutating func received(_ bytes: ByteBuffer) -> ConnectionAction<Result>
    /// A user event fired by a handler that the pipeline setup put before the driver's.
    mutating func userEvent(_ event: Any) -> ConnectionAction<Result>
    /// The armed deadline passed: what to send last (if anything) and the result.
    mutating func timedOut() -> (send: ByteBuffer?, result: Result)
    /// The peer closed the connection.
    mutating func peerClosed() -> Result
    /// The socket (or a handler before the driver's) failed after connecting.
    mutating func failed(_ error: Error) -> Result
    /// The result when the connection could not be made (refused, unreachable, connect deadline).
    func connectFailed(_ error: Error) -> Result
    /// The result when the caller's task was cancelled.
    func cancelled() -> Result
}

extension ConnectionConversation {
    mutating func userEvent(_ event: Any) -> ConnectionAction<Result> { .none }
}
