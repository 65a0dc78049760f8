import NIOCore
import NIOHTTP1

/// The plain-HTTP lookup: answers with the client check for the last ClientHello seen from the
/// caller's address on any listener — the answer for clients that cannot finish a handshake.
enum ClientCheckLookup {
    static func response(to head: HTTPRequestHead, from remote: SocketAddress?, core: GatewayCore)
        -> (head: HTTPResponseHead, body: String, keepAlive: Bool)
    {
        let address = remote?.ipAddress ?? "unknown"
        let keepAlive = head.isKeepAlive && !core.isDraining
        let (responseHead, body) = ClientCheckHTTP.respond(
            method: head.method, uri: head.uri, prefix: "", version: head.version, keepAlive: keepAlive,
            clientAddress: address, historyMinutes: (core.runtime.configuration.clientCheck ?? .init()).historyMinutes
        ) {
            guard var observation = core.history?.last(from: address, now: core.clock.now()) else { return nil }
            observation.userAgent = observation.userAgent ?? head.headers.first(name: "user-agent")
            return core.clientCheckReport(observation, live: false)
        }
        return (responseHead, body, keepAlive)
    }
}
