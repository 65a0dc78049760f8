import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Idle keep-alive upstream connections, one pool per event loop so a client connection and its
/// upstream connection share a thread.
///
/// `@unchecked Sendable`: the dictionary of pools is behind a lock; each `LoopPool` is touched
/// only on its own event loop (asserted with `preconditionInEventLoop`).
final class UpstreamPools: @unchecked Sendable {
    private let pools = NIOLockedValueBox<[ObjectIdentifier: LoopPool]>([:])

    func pool(for eventLoop: EventLoop) -> LoopPool {
        pools.withLockedValue { pools in
            let key = ObjectIdentifier(eventLoop)
            if let pool = pools[key] { return pool }
            let pool = LoopPool(eventLoop: eventLoop)
            pools[key] = pool
            return pool
        }
    }

    /// Closes every idle connection (shutdown).
    func closeAll() {
        for pool in pools.withLockedValue({ Array($0.values) }) {
            pool.eventLoop.execute { pool.closeIdle() }
        }
    }

    /// The pool of one event loop.
    final class LoopPool: @unchecked Sendable {
        let eventLoop: EventLoop
        private var idle: [UpstreamConnection] = []

        init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

        /// An idle connection to `upstream` if one is still open, else a new one.
        /// `fresh`: skip the idle pool (a retry after a pooled connection turned out closed).
        func acquire(_ upstream: GatewayConfiguration.Upstream, fresh: Bool = false) -> EventLoopFuture<UpstreamConnection> {
            eventLoop.preconditionInEventLoop()
            while !fresh, var connection = idle.popLast() {
                if connection.channel.isActive {
                    connection.reused = true
                    return eventLoop.makeSucceededFuture(connection)
                }
            }
            let handler = UpstreamConnectionHandler()
            let loopBoundHandler = NIOLoopBound(handler, eventLoop: eventLoop)
            return ClientBootstrap(group: eventLoop)
                .connectTimeout(upstream.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(loopBoundHandler.value)
                    }
                }
                .connect(host: upstream.host, port: upstream.port)
                .map { UpstreamConnection(channel: $0, handler: loopBoundHandler.value) }
        }

        /// Returns a connection after a complete exchange; closes it when it cannot be reused.
        func release(_ connection: UpstreamConnection, reusable: Bool, maxIdle: Int) {
            eventLoop.preconditionInEventLoop()
            connection.handler.delegate = nil
            connection.channel.setOption(.autoRead, value: true).whenComplete { _ in }
            if reusable && connection.handler.reusable && connection.channel.isActive && idle.count < maxIdle {
                idle.append(connection)
            } else {
                connection.channel.close(promise: nil)
            }
        }

        func closeIdle() {
            for connection in idle { connection.channel.close(promise: nil) }
            idle.removeAll()
        }
    }
}
