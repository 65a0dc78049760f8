import NIOCore
import TLSReport
import TLSWire

/// A raw probe as a conversation: send a hello, feed the answer to a `ServerFlightParser` up to its
/// stop point, and — with a `FollowUp` — once the flight is complete send one more record and
/// summarise the reply (record headers and alerts only; payloads are skipped, never kept).
struct ProbeConversation: ConnectionConversation {
    typealias Action = ConnectionAction<Conversation>

    let hello: ByteBuffer
    let followUp: FollowUp?
    private var parser: ServerFlightParser
    /// Set once the follow-up has been sent: later bytes are summarised, not parsed as a flight.
    private var reply: FollowUpReply?
    private var replyBuffer = ByteBuffer()
    /// The flight's outcome, kept while listening for the follow-up's reply.
    private var flightOutcome: ProbeOutcome = .answered(ServerFlight())

    init(hello: ByteBuffer, stopAt: ServerFlightParser.StopPoint, followUp: FollowUp?) {
        self.hello = hello
        self.followUp = followUp
        self.parser = ServerFlightParser(stopAt: stopAt)
    }

    mutating func start() -> Action { .send(hello) }

    mutating func received(_ bytes: ByteBuffer) -> Action {
        if reply != nil {
            var b = bytes
            replyBuffer.writeBuffer(&b)
            return summariseReply() ? end(flightOutcome) : .none
        }
        do {
            return try parser.feed(bytes) ? flightComplete() : .none
        } catch let error as TLSWireError {
            if error.code == .notTLS {
                return end(.notTLS(error.bytes.isEmpty ? Array(bytes.readableBytesView.prefix(64)) : error.bytes))
            }
            return end(.malformed(error))
        } catch {
            return end(.ioError(safeLine("\(error)")))
        }
    }

    /// The flight is complete: finish, or send the follow-up and listen.
    private mutating func flightComplete() -> Action {
        guard let followUp, parser.flight.serverHello != nil, parser.flight.alert == nil,
              let bytes = followUp.bytes(parser.flight) else {
            return end(.answered(parser.flight))
        }
        flightOutcome = .answered(parser.flight)
        reply = FollowUpReply()
        replyBuffer = parser.leftover
        if summariseReply() { return .finish(send: bytes, result(flightOutcome)) }
        return .sendThenWait(bytes, followUp.listenFor)
    }

    /// Reads record headers (and alert bodies) off the reply; true when a fatal alert ends the listening.
    private mutating func summariseReply() -> Bool {
        guard var r = reply else { return false }
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
        return r.alerts.contains(where: { $0.level == .fatal })
    }

    mutating func timedOut() -> (send: ByteBuffer?, result: Conversation) {
        if reply != nil {
            reply?.timedOut = true
            return (nil, result(flightOutcome))
        }
        return (nil, result(.timedOut(parser.flight)))
    }

    mutating func peerClosed() -> Conversation {
        if reply != nil {
            reply?.closed = true
            return result(flightOutcome)
        }
        return result(.closed(parser.flight))
    }

    mutating func failed(_ error: Error) -> Conversation {
        if reply != nil {
            reply?.closed = true
            return result(flightOutcome)
        }
        // A reset after the server answered is how many servers end a refused handshake.
        if parser.flight.serverHello != nil || parser.flight.alert != nil { return result(.closed(parser.flight)) }
        return result(.ioError(describeConnectError(error)))
    }

    func connectFailed(_ error: Error) -> Conversation {
        Conversation(outcome: .connectFailed(describeConnectError(error)), reply: nil)
    }

    func cancelled() -> Conversation { Conversation(outcome: .ioError("cancelled"), reply: nil) }

    private func result(_ outcome: ProbeOutcome) -> Conversation { Conversation(outcome: outcome, reply: reply) }

    private func end(_ outcome: ProbeOutcome) -> Action { .finish(send: nil, result(outcome)) }
}
