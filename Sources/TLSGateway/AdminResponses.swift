import Foundation
import NIOCore
import NIOHTTP1
import TLSTelemetry

/// The admin listener's answers: `GET /metrics` (Prometheus text format 0.0.4) and `GET /healthz`
/// (200 while serving; 503 while draining or while the record writer is stalled or failing).
enum AdminResponses {
    static func response(to head: HTTPRequestHead, core: GatewayCore) -> (head: HTTPResponseHead, body: String, keepAlive: Bool) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        let contentType: String
        let body: String
        switch (head.method, path) {
        case (.GET, "/metrics"):
            if let telemetry = core.telemetry {
                core.metrics.updateRecords(telemetry.counts, healthy: telemetry.health.isHealthy)
            }
            status = .ok
            contentType = "text/plain; version=0.0.4; charset=utf-8"
            body = core.metrics.exposition()
        case (.GET, "/healthz"):
            let health = GatewayHealth(core)
            status = health.status == "ok" ? .ok : .serviceUnavailable
            contentType = "application/json"
            body = health.json + "\n"
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

/// The `/healthz` body: `ok`, `draining`, or `unhealthy` when the record writer is stalled or
/// failing (records would be lost), with the writer's counts.
struct GatewayHealth: Encodable {
    struct Records: Encodable {
        var status: String
        var queued, written, dropped, failed: Int
        var problem: String?
    }

    var status: String
    var configGeneration: Int
    var openConnections: Int
    var records: Records?

    init(_ core: GatewayCore) {
        configGeneration = core.runtime.generation
        openConnections = core.openConnections.count
        records = core.telemetry.map { writer in
            let c = writer.counts
            var r = Records(status: "ok", queued: c.queued, written: c.written, dropped: c.dropped, failed: c.failed)
            switch writer.health {
            case .ok: break
            case .closed: r.status = "closed"
            case .stalled(let seconds):
                r.status = "stalled"
                r.problem = "records have waited \(Int(seconds)) s with none written"
            case .failing(let error):
                r.status = "failing"
                r.problem = error
            }
            return r
        }
        status = core.isDraining ? "draining" : (records.map { $0.status == "ok" } ?? true) ? "ok" : "unhealthy"
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{\"status\":\"\(status)\"}"
    }
}
