import NIOCore
import TLSWire

/// The sniffer's protocol logic, free of I/O: bytes in, one action out.
///
/// It buffers the client's first flight (any chunking, across records and TCP segments, up to
/// the cap) until `ClientHelloReader` has a whole ClientHello, then hands over the hello together
/// with every byte received so far, unchanged, for the TLS server to replay.
struct ClientHelloSnifferStateMachine {
    /// Why a first flight could not be used.
    enum Failure: Equatable {
        /// SSL 2.0-format hello (RFC 6101 §E.2): no TLS server of ours speaks it.
        case sslv2(ClientHelloFlight)
        /// More than the cap without a whole hello.
        case oversized(TLSWireError)
        /// TLS-framed but malformed.
        case malformed(TLSWireError)
        /// Not TLS at all; `plainHTTP` when it looks like an HTTP request.
        case notTLS(plainHTTP: Bool)
        /// No whole hello before the deadline.
        case timeout(bytes: Int)
        /// The client closed before sending a whole hello.
        case closed(bytes: Int)
    }

    enum Action {
        /// Keep reading.
        case wait
        /// A whole hello: decide, then replay `buffered` into the TLS server (or refuse).
        case hello(ClientHelloFlight, buffered: ByteBuffer)
        /// Refuse and close.
        case fail(Failure)
        /// Nothing to do (already decided).
        case ignore
    }

    private enum State {
        case collecting(ClientHelloReader)
        case done
    }

    private var state: State

    init(maxFlightBytes: Int) {
        state = .collecting(ClientHelloReader(maxFlightBytes: maxFlightBytes))
    }

    mutating func received(_ bytes: ByteBuffer) -> Action {
        guard case .collecting(var reader) = state else { return .ignore }
        reader.feed(bytes)
        if reader.buffer.readableBytes > 0, let first = reader.buffer.getInteger(at: reader.buffer.readerIndex, as: UInt8.self),
           first != 0x16, first & 0x80 == 0 {
            // Not a handshake record (RFC 8446 §5.1 content type 22) nor an SSL 2.0 header.
            state = .done
            return .fail(.notTLS(plainHTTP: Self.looksLikeHTTP(reader.buffer)))
        }
        do {
            if let flight = try reader.read() {
                state = .done
                if flight.hello.isSSLv2Format { return .fail(.sslv2(flight)) }
                return .hello(flight, buffered: reader.buffer)
            }
            state = .collecting(reader)
            return .wait
        } catch let error as TLSWireError {
            state = .done
            return .fail(error.code == .tooLong ? .oversized(error) : .malformed(error))
        } catch {
            state = .done
            return .fail(.malformed(TLSWireError(.invalidValue, field: "ClientHello", detail: "\(error)")))
        }
    }

    mutating func timedOut() -> Action {
        guard case .collecting(let reader) = state else { return .ignore }
        state = .done
        return .fail(.timeout(bytes: reader.buffer.readableBytes))
    }

    mutating func inputClosed() -> Action {
        guard case .collecting(let reader) = state else { return .ignore }
        state = .done
        return .fail(.closed(bytes: reader.buffer.readableBytes))
    }

    static func looksLikeHTTP(_ buffer: ByteBuffer) -> Bool {
        let head = String(decoding: buffer.readableBytesView.prefix(8), as: UTF8.self)
        return ["GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "].contains { head.hasPrefix($0) }
    }
}
