import NIOCore
import TLSWire

/// Watches the client's records on their way into swift-nio-ssl to see whether a TLS 1.0 client
/// with a CBC suite splits its first application-data record (1/n-1 or 0/n), the BEAST
/// countermeasure How's My SSL reports (`able_to_detect_n_minus_one_splitting`).
///
/// A split first record carries at most one byte of plaintext, so its ciphertext is no longer
/// than one byte + MAC + padding-length byte rounded up to the block (RFC 2246 §6.2.3.2). Leaves
/// the pipeline once it knows, or once the negotiated version or suite makes the question moot.
final class ClientRecordObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let state: ConnectionState
    private var header: [UInt8] = []
    private var bodyLeft = 0
    private var done = false

    init(state: ConnectionState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !done { observe(unwrapInboundIn(data)) }
        context.fireChannelRead(data)
        if done { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }

    private func observe(_ bytes: ByteBuffer) {
        if let version = state.negotiatedVersion, version != .tls10 || state.negotiatedSuite?.info?.mode != .cbc {
            done = true
            return
        }
        var buf = bytes
        while buf.readableBytes > 0 && !done {
            if bodyLeft > 0 {
                let n = min(bodyLeft, buf.readableBytes)
                buf.moveReaderIndex(forwardBy: n)
                bodyLeft -= n
                continue
            }
            header.append(buf.readInteger(as: UInt8.self)!)
            guard header.count == 5 else { continue }
            let type = header[0]
            let length = Int(header[3]) << 8 | Int(header[4])
            header.removeAll(keepingCapacity: true)
            bodyLeft = length
            if type == 23 {  // application_data
                guard let suite = state.negotiatedSuite?.info else { done = true; return }
                let mac = ["MD5": 16, "SHA": 20, "SHA256": 32, "SHA384": 48][suite.mac] ?? 20
                let block = max(suite.blockBits / 8, 1)
                let oneByte = (1 + mac + 1 + block - 1) / block * block
                state.splitFirstRecord = length <= oneByte
                done = true
            }
        }
    }
}
