import NIOCore
import TLSWire

/// Reads the negotiated cipher suite from the ServerHello the TLS server writes (plaintext in
/// every version, RFC 8446 §4.1.3), because swift-nio-ssl has no API for it.
///
/// Sits between the head of the pipeline and `NIOSSLServerHandler`; once it has the ServerHello
/// it removes itself — in `flush`, never in `write` (swift-notes: swift-nio-ssl uses
/// writeAndFlush, and a flush landing on a removed context is dropped).
final class ServerHelloObserver: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let state: ConnectionState
    private var parser = ServerFlightParser(stopAt: .serverHello, maxBytes: 64 * 1024)
    private var done = false

    init(state: ConnectionState) { self.state = state }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !done {
            let bytes = unwrapOutboundIn(data)
            do {
                if try parser.feed(bytes) {
                    done = true
                    state.negotiatedSuite = parser.flight.serverHello?.cipherSuite
                    state.negotiatedVersion = try? parser.flight.serverHello?.negotiatedVersion()
                }
            } catch {
                done = true  // not our business to fail the connection
            }
        }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        context.flush()
        if done { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }
}
