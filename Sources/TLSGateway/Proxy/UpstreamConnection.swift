import NIOCore

/// An upstream connection checked out of a pool.
///
/// `@unchecked Sendable` so it can travel in an `EventLoopFuture`: the handler is only ever
/// touched on the connection's event loop, which is also the client connection's loop.
struct UpstreamConnection: @unchecked Sendable {
    let channel: Channel
    let handler: UpstreamConnectionHandler
    /// It came from the idle pool (the upstream may have closed it just now).
    var reused = false
}
