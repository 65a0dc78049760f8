import Foundation
import NIOCore
import TLSReport
import TLSWire

/// One HTTP/1.1 request on an established connection, and the response head read back: the HTTP
/// check for servers swift-nio-ssl cannot reach (TLS 1.0/1.1 only, DHE only).
extension TLS12ClientStateMachine {
    static let maxHTTPHeadBytes = 64 * 1024

    /// The request as application data, in records of at most 2^14 bytes (RFC 5246 §6.2.1).
    mutating func sendHTTPRequest(_ request: String, out: inout ByteBuffer) throws {
        let bytes = Array(request.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(start + (1 << 14), bytes.count)
            try seal(.applicationData, Array(bytes[start..<end]), out: &out)
            start = end
        }
        phase = .httpResponse
    }

    /// Response bytes: done once the head's blank line has arrived (then close_notify).
    mutating func httpData(_ content: ByteBuffer, out: inout ByteBuffer) throws {
        var c = content
        httpResponse.writeBuffer(&c)
        let view = httpResponse.readableBytesView
        if let end = view.firstRange(of: Array("\r\n\r\n".utf8)) {
            result.httpHead = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
            try seal(.alert, [AlertLevel.warning.rawValue, AlertDescription.closeNotify.rawValue], out: &out)
            phase = .done
        } else if httpResponse.readableBytes > Self.maxHTTPHeadBytes {
            throw TLSClientError(.malformed, "the HTTP response head is longer than \(Self.maxHTTPHeadBytes / 1024) KiB")
        }
    }

    /// The server closed (or sent close_notify) before the head's end: keep what came.
    mutating func httpResponseEnded() {
        if result.httpHead == nil, httpResponse.readableBytes > 0 {
            result.httpHead = String(decoding: httpResponse.readableBytesView, as: UTF8.self)
        }
        phase = .done
    }
}
