import Foundation
import NIOCore
import NIOHTTP1

/// The admin listener's HTTP handler: `GET /metrics` (Prometheus text format 0.0.4) and
/// `GET /healthz` (200 while serving, 503 while draining).
final class AdminHandler: PlainHTTPResponder {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: GatewayCore
    var pendingHead: HTTPRequestHead?

    init(core: GatewayCore) { self.core = core }

    func response(to head: HTTPRequestHead, context: ChannelHandlerContext) -> (head: HTTPResponseHead, body: String, keepAlive: Bool) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        let contentType: String
        let body: String
        switch (head.method, path) {
        case (.GET, "/metrics"):
            if let telemetry = core.telemetry {
                core.metrics.updateRecords(dropped: telemetry.droppedCount, queued: telemetry.queuedCount)
            }
            status = .ok
            contentType = "text/plain; version=0.0.4; charset=utf-8"
            body = core.metrics.exposition()
        case (.GET, "/healthz"):
            let runtime = core.runtime
            status = core.isDraining ? .serviceUnavailable : .ok
            contentType = "application/json"
            body = "{\"status\":\"\(core.isDraining ? "draining" : "ok")\",\"configGeneration\":\(runtime.generation),"
                + "\"openConnections\":\(core.openConnections.count)}\n"
        default:
            status = .notFound
            contentType = "text/plain"
            body = "not found: try /metrics or /healthz\n"
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        return (HTTPResponseHead(version: head.version, status: status, headers: headers), body, head.isKeepAlive)
    }
}
