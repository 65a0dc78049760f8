import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLSReport
import TLSWire

/// What one probe connection ended with.
public enum ProbeOutcome: Sendable {
    /// The server answered with TLS up to the stop point (a ServerHello, an alert, an SSL 2.0 answer).
    case answered(ServerFlight)
    /// The server closed the connection before answering (or mid-answer).
    case closed(ServerFlight)
    /// No complete answer before the read deadline.
    case timedOut(ServerFlight)
    /// The bytes that came back are not TLS; the first of them, for the error message.
    case notTLS([UInt8])
    /// TLS, but malformed.
    case malformed(TLSWireError)
    /// TCP connect failed (refused, unreachable, timed out).
    case connectFailed(String)
    /// The connection broke after connecting (e.g. reset by peer).
    case ioError(String)

    public var flight: ServerFlight? {
        switch self {
        case .answered(let f), .closed(let f), .timedOut(let f): return f
        default: return nil
        }
    }
    public var serverHello: ServerHello? { flight?.serverHello }
}

/// Runs single probe connections: connect, send the hello, read the answer up to a stop point,
/// close. Nothing the server sends can keep a probe past its deadlines.
public struct ProbeTransport: Sendable {
    public var group: EventLoopGroup
    public var connectTimeout: TimeAmount
    public var readTimeout: TimeAmount

    public init(group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, connectTimeout: TimeAmount, readTimeout: TimeAmount) {
        self.group = group
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
    }

    public func probe(_ address: SocketAddress, send bytes: ByteBuffer, stopAt: ServerFlightParser.StopPoint) async -> ProbeOutcome {
        await converse(address, send: bytes, stopAt: stopAt, followUp: nil).outcome
    }

    /// A probe that, once the server's flight is complete, sends `followUp`'s bytes and listens
    /// for what comes back. Only record headers and alert bodies of the reply are kept.
    public func converse(_ address: SocketAddress, send bytes: ByteBuffer, stopAt: ServerFlightParser.StopPoint,
                         followUp: FollowUp?) async -> Conversation {
        await withCheckedContinuation { (continuation: CheckedContinuation<Conversation, Never>) in
            let once = ResumeOnce(continuation)
            let readTimeout = self.readTimeout
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ProbeHandler(hello: bytes, stopAt: stopAt, readTimeout: readTimeout, followUp: followUp, once: once))
                    }
                }
            bootstrap.connect(to: address).whenFailure { error in
                once.resume(Conversation(outcome: .connectFailed(describeConnectError(error)), reply: nil))
            }
        }
    }
}

/// Bytes to send once the server's flight is complete, and how long to listen afterwards.
public struct FollowUp: Sendable {
    public var bytes: @Sendable (ServerFlight) -> ByteBuffer?
    public var listenFor: TimeAmount
    public init(listenFor: TimeAmount, bytes: @escaping @Sendable (ServerFlight) -> ByteBuffer?) {
        self.bytes = bytes
        self.listenFor = listenFor
    }
}

/// What the server sent after a follow-up: record types and sizes, alerts — never payloads.
public struct FollowUpReply: Sendable {
    public struct Record: Sendable, Hashable {
        public var contentType: ContentType
        public var length: Int
    }
    public var records: [Record] = []
    public var alerts: [Alert] = []
    public var closed = false
    public var timedOut = false
    public var bytes = 0
}

public struct Conversation: Sendable {
    public var outcome: ProbeOutcome
    /// nil when no follow-up was sent (no follow-up asked, or the flight did not complete).
    public var reply: FollowUpReply?
}

/// Resumes a continuation exactly once, from whichever path gets there first (the handler finishing,
/// a deadline, or the connect failing).
final class ResumeOnce<Value: Sendable>: Sendable {
    private let state: NIOLockedValueBox<CheckedContinuation<Value, Never>?>
    init(_ c: CheckedContinuation<Value, Never>) { state = NIOLockedValueBox(c) }
    func resume(_ value: Value) {
        let c = state.withLockedValue { s -> CheckedContinuation<Value, Never>? in
            defer { s = nil }
            return s
        }
        c?.resume(returning: value)
    }
}

final class ProbeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let hello: ByteBuffer
    private var parser: ServerFlightParser
    private let readTimeout: TimeAmount
    private let followUp: FollowUp?
    private let once: ResumeOnce<Conversation>
    private var deadline: Scheduled<Void>?
    private var finished = false
    /// Set once the follow-up has been sent: later bytes are summarised, not parsed as a flight.
    private var reply: FollowUpReply?
    private var replyBuffer = ByteBuffer()
    private var flightOutcome: ProbeOutcome?

    init(hello: ByteBuffer, stopAt: ServerFlightParser.StopPoint, readTimeout: TimeAmount, followUp: FollowUp?, once: ResumeOnce<Conversation>) {
        self.hello = hello
        self.parser = ServerFlightParser(stopAt: stopAt)
        self.readTimeout = readTimeout
        self.followUp = followUp
        self.once = once
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: readTimeout) {
            let (handler, context) = loopBound.value
            handler.finish(.timedOut(handler.parser.flight), context: context)
        }
        context.writeAndFlush(wrapOutboundOut(hello), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        let bytes = unwrapInboundIn(data)
        if reply != nil {
            var b = bytes
            replyBuffer.writeBuffer(&b)
            summariseReply(context: context)
            return
        }
        do {
            if try parser.feed(bytes) { flightComplete(context: context) }
        } catch let error as TLSWireError {
            if error.code == .notTLS {
                finish(.notTLS(error.bytes.isEmpty ? Array(bytes.readableBytesView.prefix(64)) : error.bytes), context: context)
            } else {
                finish(.malformed(error), context: context)
            }
        } catch {
            finish(.ioError(safeLine("\(error)")), context: context)
        }
    }

    /// The flight is complete: finish, or send the follow-up and listen.
    private func flightComplete(context: ChannelHandlerContext) {
        guard let followUp, parser.flight.serverHello != nil, parser.flight.alert == nil,
              let bytes = followUp.bytes(parser.flight) else {
            finish(.answered(parser.flight), context: context)
            return
        }
        flightOutcome = .answered(parser.flight)
        reply = FollowUpReply()
        replyBuffer = parser.leftover
        deadline?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: followUp.listenFor) {
            let (handler, context) = loopBound.value
            handler.reply?.timedOut = true
            handler.finish(handler.flightOutcome!, context: context)
        }
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        summariseReply(context: context)
    }

    /// Reads record headers (and alert bodies) off the reply; a fatal alert ends the listening.
    private func summariseReply(context: ChannelHandlerContext) {
        guard var r = reply else { return }
        while replyBuffer.readableBytes >= 5, let type = replyBuffer.getInteger(at: replyBuffer.readerIndex, as: UInt8.self),
              let length = replyBuffer.getInteger(at: replyBuffer.readerIndex + 3, as: UInt16.self),
              replyBuffer.readableBytes >= 5 + Int(length) {
            r.records.append(.init(contentType: ContentType(type), length: Int(length)))
            r.bytes += 5 + Int(length)
            if type == ContentType.alert.rawValue, length == 2,
               let level = replyBuffer.getInteger(at: replyBuffer.readerIndex + 5, as: UInt8.self),
               let desc = replyBuffer.getInteger(at: replyBuffer.readerIndex + 6, as: UInt8.self) {
                r.alerts.append(Alert(level: AlertLevel(level), description: AlertDescription(desc)))
            }
            // The payload is skipped, never kept: a heartbeat reply may carry server memory.
            replyBuffer.moveReaderIndex(forwardBy: 5 + Int(length))
        }
        replyBuffer.discardReadBytes()
        reply = r
        if r.alerts.contains(where: { $0.level == .fatal }) { finish(flightOutcome!, context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if reply != nil {
            reply?.closed = true
            finish(flightOutcome!, context: context)
        } else {
            finish(.closed(parser.flight), context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if reply != nil {
            reply?.closed = true
            finish(flightOutcome!, context: context)
            return
        }
        // A reset after the server answered is how many servers end a refused handshake.
        if parser.flight.serverHello != nil || parser.flight.alert != nil {
            finish(.closed(parser.flight), context: context)
        } else {
            finish(.ioError(describeConnectError(error)), context: context)
        }
    }

    private func finish(_ outcome: ProbeOutcome, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        once.resume(Conversation(outcome: outcome, reply: reply))
        context.close(promise: nil)
    }
}

/// One line for a connect or socket error: "connection refused", not an errno dump.
func describeConnectError(_ error: Error) -> String {
    if let e = error as? IOError {
        switch e.errnoCode {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset by peer"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case ETIMEDOUT: return "connection timed out"
        case EPIPE: return "connection closed by peer"
        default: return safeLine(e.description)
        }
    }
    if error is ChannelError, case ChannelError.connectTimeout(let t) = error as! ChannelError {
        return "connect timed out after \(Double(t.nanoseconds) / 1e9) s"
    }
    if let e = error as? NIOConnectionError {
        if let first = e.connectionErrors.first { return describeConnectError(first.error) }
        if e.dnsAError != nil || e.dnsAAAAError != nil { return "cannot resolve host '\(e.host)'" }
    }
    return safeLine("\(error)")
}
