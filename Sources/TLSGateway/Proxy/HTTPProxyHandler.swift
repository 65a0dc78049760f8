import Foundation
import NIOCore
import NIOHTTP1
import TLSTelemetry
import TLSWire

/// Reverse-proxies one client connection's HTTP/1.1 requests to the upstream, streaming bodies
/// both ways with backpressure, and answers itself when it must: the explain response for legacy
/// clients, 502 when the upstream cannot be reached, 504 when it does not answer in time — never
/// a TLS error for an upstream problem.
///
/// Requests arrive one at a time (`HTTPServerPipelineHandler` holds pipelined ones back until the
/// response before them has ended).
///
/// Over the house limit of ~400 lines (480) for now: the phases and the NIO callbacks that move
/// between them are one piece; the gateway-speed issue (#14) replaces them with a proxy state
/// machine that returns actions, tested on its own, and this handler becomes its thin driver.
final class HTTPProxyHandler: ChannelDuplexHandler, UpstreamDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Where the current exchange stands.
    private enum Phase {
        /// Between requests.
        case idle
        /// Connecting (or taking a pooled connection); request parts wait here.
        case connecting(pending: [HTTPClientRequestPart])
        /// Request and response flow between the client and `connection`.
        case proxying(UpstreamConnection)
        /// The gateway answered itself; the rest of the request body is dropped.
        case answeredLocally
        /// The client check answered; the connection stays open after the request's end if `keepAlive`.
        case answeredCheck(keepAlive: Bool)
        /// The connection is closing.
        case closed
    }

    /// What is known about the current request, for its record.
    private struct Exchange {
        var method: String
        var host: String?
        var path: String
        var userAgent: String?
        var apiKey: String?
        var version: HTTPVersion
        var keepAlive: Bool
        var warn: Bool
        var rule: String?
        var start: Date
        var sentAt: NIODeadline?
        var status: Int?
        var latencyNanoseconds: Int64?
        var requestEnded = false
        var responseStarted = false
        /// The head sent upstream, kept while the request can still be retried.
        var upstreamHead: HTTPRequestHead?
        /// Request body bytes received from the client.
        var bodyBytes = 0
        var retried = false
    }

    private let core: GatewayCore
    private let state: ConnectionState
    private let runtime: GatewayRuntime
    private var phase = Phase.idle
    private var exchange: Exchange?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var upstreamWritable = true
    private var responseTimeout: Scheduled<Void>?
    private var closeAfterResponse = false

    init(core: GatewayCore, state: ConnectionState, runtime: GatewayRuntime) {
        self.core = core
        self.state = state
        self.runtime = runtime
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Client → gateway

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): requestHead(head, context: context)
        case .body(let body):
            exchange?.bodyBytes += body.readableBytes
            forward(.body(.byteBuffer(body)))
        case .end(let trailers):
            exchange?.requestEnded = true
            if case .answeredCheck(let keepAlive) = phase {
                if keepAlive && !closeAfterResponse {
                    phase = .idle
                    exchange = nil
                } else {
                    finishLocalAnswer(context: context)
                }
                return
            }
            forward(.end(trailers))
            if case .answeredLocally = phase, exchange?.responseStarted == true { finishLocalAnswer(context: context) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // One flush per read burst, not per body part: fewer syscalls upstream.
        if case .proxying(let connection) = phase { connection.channel.flush() }
        context.fireChannelReadComplete()
    }

    private func requestHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let settings = runtime.configuration.records
        let apiKey = settings.apiKeyHeader.flatMap { head.headers.first(name: $0) }
        let apiKeyHash = apiKey.map(APIKeyHash.sha256Hex)
        let stored: String? = switch settings.apiKeyStorage {
        case .hashed: apiKeyHash.map { "sha256:\($0)" }
        case .plain: apiKey
        case .none: nil
        }
        var exchange = Exchange(
            method: head.method.rawValue, host: head.headers.first(name: "host"), path: head.uri,
            userAgent: head.headers.first(name: "user-agent"), apiKey: stored, version: head.version,
            keepAlive: head.isKeepAlive && !core.isDraining, warn: false, rule: nil, start: core.clock.now())
        let checkPrefix = state.isClientCheckListener ? "" : runtime.configuration.clientCheck?.path
        if let checkPrefix, state.isClientCheckListener || ClientCheckHTTP.route(uri: head.uri, prefix: checkPrefix) != nil {
            self.exchange = exchange
            answerClientCheck(head, prefix: checkPrefix, context: context)
            return
        }
        guard let decision = state.decision else { return }
        switch runtime.policy.decideRequest(decision, serverName: state.serverName, apiKeySHA256: apiKeyHash) {
        case .explain(let rule):
            exchange.rule = rule
            self.exchange = exchange
            answerExplain(context: context)
        case .proxy(let warn, let rule):
            exchange.warn = warn
            exchange.rule = rule
            self.exchange = exchange
            var upstreamHead = ProxyHeaders.upstreamRequest(head, clientAddress: state.clientAddress)
            if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                // RFC 9110 §10.1.1: answer 100 ourselves and stream the body; the upstream's own
                // 100 would be dropped by the client codec and the client would wait for nothing.
                upstreamHead.headers.remove(name: "expect")
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            self.exchange?.upstreamHead = upstreamHead
            phase = .connecting(pending: [.head(upstreamHead)])
            connectUpstream(fresh: false, context: context)
        }
    }

    private func connectUpstream(fresh: Bool, context: ChannelHandlerContext) {
        let pool = core.pools.pool(for: context.eventLoop)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        guard let upstream = runtime.configuration.upstream else {
            phase = .idle
            answerUpstreamFailure(timeout: false, detail: "this gateway has no upstream: it serves only the client check", context: context)
            return
        }
        pool.acquire(upstream, fresh: fresh).whenComplete { result in
            bound.value.connected(result)
        }
    }

    private func forward(_ part: HTTPClientRequestPart) {
        switch phase {
        case .connecting(var pending):
            pending.append(part)
            phase = .connecting(pending: pending)
        case .proxying(let connection):
            let isEnd: Bool = if case .end = part { true } else { false }
            if isEnd {
                connection.channel.writeAndFlush(part, promise: nil)
                startResponseTimer(connection)
            } else {
                connection.channel.write(part, promise: nil)  // flushed at channelReadComplete
            }
        case .idle, .answeredLocally, .answeredCheck, .closed:
            break
        }
    }

    private func connected(_ result: Result<UpstreamConnection, Error>) {
        guard case .connecting(let pending) = phase, let context else {
            if case .success(let connection) = result { connection.channel.close(promise: nil) }
            return
        }
        switch result {
        case .failure(let error):
            let timedOut: Bool = if case .connectTimeout = error as? ChannelError { true } else { false }
            answerUpstreamFailure(timeout: timedOut, detail: timedOut ? "connect timed out" : Self.describe(error), context: context)
        case .success(let connection):
            connection.handler.delegate = self
            phase = .proxying(connection)
            upstreamWritable = connection.channel.isWritable
            exchange?.sentAt = .now()
            for part in pending { connection.channel.write(part, promise: nil) }
            connection.channel.flush()
            if exchange?.requestEnded == true { startResponseTimer(connection) }
            resumeReadsIfPossible(context: context)
        }
    }

    private func startResponseTimer(_ connection: UpstreamConnection) {
        guard let context, responseTimeout == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        responseTimeout = context.eventLoop.scheduleTask(in: runtime.configuration.upstream?.responseTimeout ?? .seconds(60)) {
            bound.value.responseTimedOut()
        }
    }

    private func responseTimedOut() {
        responseTimeout = nil
        guard case .proxying(let connection) = phase, let context, exchange?.responseStarted == false else { return }
        connection.handler.delegate = nil
        connection.channel.close(promise: nil)
        answerUpstreamFailure(timeout: true, detail: "no response within \(Self.seconds(runtime.configuration.upstream?.responseTimeout ?? .seconds(60))) s", context: context)
    }

    // MARK: Upstream → client

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard case .proxying(let connection) = phase, let context, var exchange else { return }
        switch part {
        case .head(let head):
            // 1xx: not forwarded (the final response follows).
            guard head.status.code >= 200 else { return }
            responseTimeout?.cancel()
            responseTimeout = nil
            if let sentAt = exchange.sentAt {
                let nanos = (NIODeadline.now() - sentAt).nanoseconds
                exchange.latencyNanoseconds = nanos
                core.metrics.upstreamLatency(nanoseconds: nanos)
            }
            exchange.status = Int(head.status.code)
            exchange.responseStarted = true
            if closeAfterResponse || core.isDraining { exchange.keepAlive = false }
            self.exchange = exchange
            let extra = exchange.warn ? notice().headers : []
            let out = ProxyHeaders.downstreamResponse(head, version: exchange.version, keepAlive: exchange.keepAlive, extra: extra)
            context.write(wrapOutboundOut(.head(out)), promise: nil)  // flushed at upstreamReadComplete
        case .body(let body):
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            if !context.channel.isWritable {
                // Backpressure: stop reading upstream until the client drains.
                connection.channel.setOption(.autoRead, value: false).whenComplete { _ in }
            }
        case .end(let trailers):
            phase = .idle
            let keepAlive = exchange.keepAlive
            let reusable = exchange.requestEnded
            core.pools.pool(for: context.eventLoop).release(connection, reusable: reusable, maxIdle: runtime.configuration.upstream?.maxIdleConnections ?? 0)
            recordExchange(outcome: "proxied")
            let done = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
            if !keepAlive || !reusable {
                phase = .closed
                done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            }
            resumeReadsIfPossible(context: context)
        }
    }

    func upstreamReadComplete() {
        // One flush (one TLS record batch, one syscall) per upstream read burst.
        if case .proxying = phase { context?.flush() }
    }

    func upstreamClosed(error: Error?) {
        guard case .proxying(let connection) = phase, let context else { return }
        responseTimeout?.cancel()
        responseTimeout = nil
        // A pooled connection the upstream had already closed: send a bodiless request once more
        // on a fresh connection (RFC 9112 §9.3.1 allows retrying when nothing was answered).
        if connection.reused, var exchange, !exchange.responseStarted, !exchange.retried, exchange.bodyBytes == 0,
           let head = exchange.upstreamHead {
            exchange.retried = true
            self.exchange = exchange
            var pending: [HTTPClientRequestPart] = [.head(head)]
            if exchange.requestEnded { pending.append(.end(nil)) }
            phase = .connecting(pending: pending)
            connectUpstream(fresh: true, context: context)
            return
        }
        if exchange?.responseStarted == true {
            // Mid-response: nothing honest can be sent any more; cut the client connection.
            recordExchange(outcome: "upstream-closed")
            phase = .closed
            context.close(promise: nil)
        } else {
            answerUpstreamFailure(timeout: false, detail: error.map(Self.describe) ?? "upstream closed the connection before responding", context: context)
        }
    }

    func upstreamWritabilityChanged(writable: Bool) {
        upstreamWritable = writable
        if writable, let context { resumeReadsIfPossible(context: context) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .proxying(let connection) = phase {
            connection.channel.setOption(.autoRead, value: true).whenComplete { _ in }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Local answers

    /// The client check's page or JSON about this very connection.
    private func answerClientCheck(_ head: HTTPRequestHead, prefix: String, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive && !core.isDraining
        let (state, core, userAgent) = (self.state, self.core, head.headers.first(name: "user-agent"))
        let (responseHead, body) = ClientCheckHTTP.respond(
            method: head.method, uri: head.uri, prefix: prefix, version: head.version, keepAlive: keepAlive,
            clientAddress: state.clientAddress, historyMinutes: (runtime.configuration.clientCheck ?? .init()).historyMinutes
        ) {
            guard var observation = state.observation() else { return nil }
            observation.userAgent = userAgent
            return core.clientCheckReport(observation, live: true)
        }
        exchange?.status = Int(responseHead.status.code)
        exchange?.responseStarted = true
        recordExchange(outcome: "client-check")
        phase = .answeredCheck(keepAlive: keepAlive)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func answerExplain(context: ChannelHandlerContext) {
        guard let decision = state.decision else { return }
        let settings = decision.policy.explain ?? ExplainSettings(link: decision.policy.deprecationLink)
        let (head, body) = notice().explainResponse(settings)
        exchange?.status = Int(head.status.code)
        respondLocally(head: head, body: body, outcome: "explained", context: context)
    }

    private func answerUpstreamFailure(timeout: Bool, detail: String, context: ChannelHandlerContext) {
        let upstream = runtime.configuration.upstream
        let status: HTTPResponseStatus = timeout ? .gatewayTimeout : .badGateway
        let object: [String: String] = [
            "error": timeout ? "upstream_timeout" : "upstream_unavailable",
            "status": String(status.code),
            "upstream": upstream?.authority ?? "none",
            "detail": detail,
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (String(data: (try? encoder.encode(object)) ?? Data(), encoding: .utf8) ?? "{}") + "\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        exchange?.status = Int(status.code)
        respondLocally(head: HTTPResponseHead(version: exchange?.version ?? .http1_1, status: status, headers: headers),
                       body: body, outcome: timeout ? "upstream-timeout" : "upstream-unavailable", context: context)
    }

    /// Writes a whole response and closes once the request has been read to its end.
    private func respondLocally(head: HTTPResponseHead, body: String, outcome: String, context: ChannelHandlerContext) {
        phase = .answeredLocally
        exchange?.responseStarted = true
        recordExchange(outcome: outcome)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if exchange?.requestEnded == true {
            finishLocalAnswer(context: context)
        } else {
            resumeReadsIfPossible(context: context)  // read and drop the rest of the body
        }
    }

    private func finishLocalAnswer(context: ChannelHandlerContext) {
        phase = .closed
        context.close(promise: nil)
    }

    private func notice() -> DeprecationNotice {
        let decision = state.decision!
        let version = state.flight?.hello.bestOfferedVersion ?? .tls10
        return DeprecationNotice(policy: decision.policy, clientVersion: version, serverName: state.serverName,
                                 rule: decision.rule, now: core.clock.now())
    }

    private func recordExchange(outcome: String) {
        guard let exchange else { return }
        core.record(RequestRecord(
            connectionID: state.id, time: exchange.start, method: exchange.method, host: exchange.host, path: exchange.path,
            status: exchange.status ?? 0, userAgent: exchange.userAgent, apiKey: exchange.apiKey,
            upstreamLatencyMs: exchange.latencyNanoseconds.map { Double($0) / 1_000_000 }, outcome: outcome, rule: exchange.rule,
            connectionTime: state.start))
    }

    // MARK: Flow control and lifecycle

    /// Holds the client's reads while the upstream is not ready for more request bytes.
    func read(context: ChannelHandlerContext) {
        if shouldHoldReads {
            pendingRead = true
        } else {
            context.read()
        }
    }

    private var shouldHoldReads: Bool {
        switch phase {
        case .connecting: return true
        case .proxying: return !upstreamWritable
        case .idle, .answeredLocally, .answeredCheck, .closed: return false
        }
    }

    private func resumeReadsIfPossible(context: ChannelHandlerContext) {
        if pendingRead && !shouldHoldReads {
            pendingRead = false
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            // No bytes either way for the idle timeout. Waiting for the response head is the
            // response timeout's business; anything else idle that long (between requests, a
            // client that stopped sending its body, an upstream that stopped mid-body) is closed.
            let waitingForHead: Bool = if case .proxying = phase, exchange?.requestEnded == true, exchange?.responseStarted == false { true } else { false }
            if !waitingForHead {
                if case .proxying(let connection) = phase {
                    connection.handler.delegate = nil
                    connection.channel.close(promise: nil)
                    if exchange?.responseStarted == true {
                        recordExchange(outcome: "upstream-stalled")
                    } else {
                        exchange?.status = 408
                        recordExchange(outcome: "client-stalled")
                    }
                }
                phase = .closed
                context.close(promise: nil)
            }
            return
        }
        if event is GatewayDrainEvent {
            if case .idle = phase {
                phase = .closed
                context.close(promise: nil)
            } else {
                closeAfterResponse = true
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        responseTimeout?.cancel()
        responseTimeout = nil
        if case .proxying(let connection) = phase {
            connection.handler.delegate = nil
            connection.channel.close(promise: nil)
            if exchange?.responseStarted == false { exchange?.status = 499; recordExchange(outcome: "client-closed") }
        }
        phase = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    static func describe(_ error: Error) -> String {
        if let io = error as? IOError { return io.description }
        if case .connectTimeout = error as? ChannelError { return "connect timed out" }
        return "\(error)"
    }

    static func seconds(_ amount: TimeAmount) -> String {
        let s = Double(amount.nanoseconds) / 1e9
        return s == s.rounded() ? String(Int(s)) : String(s)
    }
}

