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
    /// The connection broke after connecting (e.g. reset by peer), or "cancelled": the caller's
    /// task was cancelled and the connection closed.
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
        await ConnectionDriver(group: group, connectTimeout: connectTimeout, readTimeout: readTimeout)
            .run(address, ProbeConversation(hello: bytes, stopAt: stopAt, followUp: followUp))
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
