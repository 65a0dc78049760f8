import Logging
import NIOCore
import NIOSSL
import TLSWire

/// The first handler of every client connection: reads the ClientHello before any TLS library
/// does, asks the policy, then either builds the rest of the pipeline around the chosen
/// `NIOSSLContext` and replays the buffered bytes into it, or refuses.
///
/// Refusals: a fatal `protocol_version` alert (RFC 8446 §6.2, alert 70) in the record version the
/// client used; a fatal `decode_error` (50) for malformed or oversized hellos; a plain-text HTTP 400
/// for plain HTTP sent to the TLS port; a bare close for SSL 2.0-format hellos (their clients cannot
/// read a TLS alert). Every outcome is recorded, with SNI and JA4 whenever a hello was read.
final class ClientHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: GatewayCore
    private let state: ConnectionState
    private var machine: ClientHelloSnifferStateMachine
    private var timeout: Scheduled<Void>?
    private let helloTimeout: TimeAmount

    init(core: GatewayCore, state: ConnectionState, settings: GatewayConfiguration.TLSSettings) {
        self.core = core
        self.state = state
        self.machine = ClientHelloSnifferStateMachine(maxFlightBytes: settings.maxHelloBytes)
        self.helloTimeout = settings.helloTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: helloTimeout) {
            let (handler, context) = bound.value
            handler.perform(handler.machine.timedOut(), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.received(unwrapInboundIn(data)), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.inputClosed(), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset before the hello: nothing to answer.
        perform(machine.inputClosed(), context: context)
        context.close(promise: nil)
    }

    private func perform(_ action: ClientHelloSnifferStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .wait, .ignore:
            return
        case .hello(let flight, let buffered):
            timeout?.cancel()
            decide(flight: flight, buffered: buffered, context: context)
        case .fail(let failure):
            timeout?.cancel()
            refuse(failure, context: context)
        }
    }

    private func decide(flight: ClientHelloFlight, buffered: ByteBuffer, context: ChannelHandlerContext) {
        let runtime = core.runtime
        state.flight = flight
        state.fingerprint = ClientFingerprint(flight.hello)
        let maxOffered = flight.hello.bestOfferedVersion
        let facts = ConnectionFacts(serverName: flight.hello.serverName, maxOfferedVersion: maxOffered, clientAddress: state.clientAddress)
        var decision = runtime.policy.decide(facts)
        if state.isClientCheckListener && maxOffered >= .tls10 {
            // A client-check listener lets every client it can serve finish the handshake so that
            // it can be told; the policy is applied in the answer, not here.
            decision.action = .strict
            decision.rule = "clientCheck"
            decision.mode = "check"
            decision.addsDeprecationHeaders = false
            decision.explains = false
            decision.requiresAPIKeyException = false
            decision.detail = "client-check listener: TLS 1.0 and newer are let in to be told"
        }
        state.decision = decision
        if decision.isLegacyClient { core.metrics.legacyClient(policy: decision.policy.name, mode: decision.mode) }
        core.logger.debug("client hello", metadata: [
            "connection": "\(state.id)", "client": "\(state.clientAddress):\(state.clientPort)",
            "sni": "\(flight.hello.serverName ?? "-")", "max_version": "\(maxOffered.name)",
            "ja4": "\(state.fingerprint?.ja4 ?? "-")", "action": "\(decision.action.rawValue)", "rule": "\(decision.rule)",
        ])

        guard decision.action != .refuse else {
            // RFC 8446 §6: fatal protocol_version, in the record version the client used (RFC 8446 §5.1).
            core.finish(state, outcome: .refused, rule: decision.rule, mode: decision.mode, version: maxOffered.name, detail: decision.detail)
            writeAlert(.protocolVersion, recordVersion: flight.recordVersion, context: context)
            return
        }

        let floor: TLSContextSet.Floor = state.isClientCheckListener ? .check
            : decision.action == .legacy ? .legacy : .strict(decision.policy.minimumVersion)
        let sslContext = runtime.contexts.context(serverName: flight.hello.serverName, prefersECDSA: flight.hello.canVerifyECDSA, floor: floor)
        do {
            let sync = context.pipeline.syncOperations
            try sync.addHandler(ServerHelloObserver(state: state))
            if runtime.configuration.clientCheck != nil { try sync.addHandler(ClientRecordObserver(state: state)) }
            try sync.addHandler(NIOSSLServerHandler(context: sslContext))
            try sync.addHandler(HandshakeRecorder(core: core, state: state, timeout: helloTimeout))
            try core.addApplicationHandlers(to: context.channel, state: state, runtime: runtime)
        } catch {
            core.logger.error("cannot build the TLS pipeline", metadata: ["error": "\(error)"])
            core.finish(state, outcome: .handshakeFailed, rule: decision.rule, mode: decision.mode, version: maxOffered.name,
                        detail: "pipeline: \(error)")
            context.close(promise: nil)
            return
        }
        // Forward first, then remove: a removed context has no neighbours (swift-notes).
        context.fireChannelRead(wrapInboundOut(buffered))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(_ failure: ClientHelloSnifferStateMachine.Failure, context: ChannelHandlerContext) {
        // Record first, then answer: the record must not depend on how fast the client goes away.
        switch failure {
        case .sslv2(let flight):
            state.flight = flight
            state.fingerprint = ClientFingerprint(flight.hello)
            core.finish(state, outcome: .malformed, rule: "sniffer.sslv2", mode: nil, version: "SSLv2",
                        detail: "SSL 2.0-format ClientHello (version \(flight.hello.legacyVersion.name))")
            context.close(promise: nil)
        case .oversized(let error):
            core.finish(state, outcome: .malformed, rule: "sniffer.oversize", mode: nil, version: "unknown", detail: error.description)
            writeAlert(.decodeError, recordVersion: .tls10, context: context)
        case .malformed(let error):
            core.finish(state, outcome: .malformed, rule: "sniffer.malformed", mode: nil, version: "unknown", detail: error.description)
            writeAlert(.decodeError, recordVersion: .tls10, context: context)
        case .notTLS(let plainHTTP):
            core.finish(state, outcome: .malformed, rule: plainHTTP ? "sniffer.plain-http" : "sniffer.not-tls", mode: nil,
                        version: "unknown", detail: plainHTTP ? "plain HTTP request on the TLS port" : "first bytes are not a TLS handshake record")
            if plainHTTP {
                let body = "This port speaks HTTPS: use https:// (TLS 1.2 or newer).\n"
                let response = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .timeout(let bytes):
            core.finish(state, outcome: .abandoned, rule: "sniffer.timeout", mode: nil, version: "unknown",
                        detail: "no complete ClientHello within the hello timeout (\(bytes) bytes)")
            context.close(promise: nil)
        case .closed(let bytes):
            // A TCP health check (connect, close) is not a client: keep no record of zero-byte connections.
            if bytes > 0 {
                core.finish(state, outcome: .abandoned, rule: "sniffer.closed", mode: nil, version: "unknown",
                            detail: "closed after \(bytes) bytes, before a complete ClientHello")
            }
            context.close(promise: nil)
        }
    }

    /// Writes a fatal alert record (`15 VV VV 00 02 02 DD`) and closes after it is flushed.
    private func writeAlert(_ description: AlertDescription, recordVersion: ProtocolVersion, context: ChannelHandlerContext) {
        var version = recordVersion
        if version.major != 3 { version = .tls10 }  // SSL 2.0 or garbage: a TLS 1.0 record
        var alert = context.channel.allocator.buffer(capacity: 7)
        alert.writeInteger(UInt8(21))  // ContentType alert (RFC 8446 §5.1)
        alert.writeInteger(version.rawValue)
        alert.writeInteger(UInt16(2))
        alert.writeInteger(AlertLevel.fatal.rawValue)
        alert.writeInteger(description.rawValue)
        context.writeAndFlush(wrapOutboundOut(alert)).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }
}
