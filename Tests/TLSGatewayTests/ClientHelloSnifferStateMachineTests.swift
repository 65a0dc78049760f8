import NIOCore
import Testing
import TLSWire
@testable import TLSGateway

@Suite("ClientHello sniffer state machine")
struct ClientHelloSnifferStateMachineTests {
    static func hello(sni: String = "api.example.com", padding: Int = 0) -> ClientHello {
        var extensions = [TLSExtension(type: .serverName) { b in
            b.writeTLSVector(.two) { list in
                list.writeInteger(UInt8(0))
                list.writeTLSVector(.two) { $0.writeString(sni) }
            }
        }]
        if padding > 0 { extensions.append(TLSExtension(type: ExtensionType(21), data: [UInt8](repeating: 0, count: padding))) }
        return ClientHello(legacyVersion: .tls10, random: [UInt8](repeating: 7, count: 32),
                           cipherSuites: [CipherSuite(0x002F), CipherSuite(0x0035)], extensions: extensions)
    }

    @Test("byte-at-a-time and all-at-once give the same hello and replay every byte")
    func chunking() throws {
        let wire = Self.hello().records(recordVersion: .tls10, maxFragment: 40)
        var whole = ClientHelloSnifferStateMachine(maxFlightBytes: 16384)
        guard case .hello(let flight, let buffered) = whole.received(wire) else {
            Issue.record("no hello from the whole flight")
            return
        }
        #expect(flight.hello.serverName == "api.example.com")
        #expect(flight.recordCount > 1)
        #expect(buffered == wire)
        var bytewise = ClientHelloSnifferStateMachine(maxFlightBytes: 16384)
        var result: ClientHelloSnifferStateMachine.Action = .wait
        for i in 0..<wire.readableBytes {
            result = bytewise.received(wire.getSlice(at: wire.readerIndex + i, length: 1)!)
            if i < wire.readableBytes - 1, case .wait = result {} else if i < wire.readableBytes - 1 {
                Issue.record("decided early at byte \(i)")
            }
        }
        guard case .hello(let again, let replay) = result else {
            Issue.record("no hello byte-at-a-time")
            return
        }
        #expect(again == flight)
        #expect(replay == wire)
    }

    @Test("garbage, plain HTTP, SSL 2.0 and oversized flights are refused")
    func failures() {
        var m = ClientHelloSnifferStateMachine(maxFlightBytes: 16384)
        if case .fail(.notTLS(plainHTTP: true)) = m.received(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")) {} else { Issue.record("plain HTTP") }
        m = ClientHelloSnifferStateMachine(maxFlightBytes: 16384)
        if case .fail(.notTLS(plainHTTP: false)) = m.received(ByteBuffer(bytes: [0x00, 0x01, 0x02])) {} else { Issue.record("garbage") }
        m = ClientHelloSnifferStateMachine(maxFlightBytes: 16384)
        if case .fail(.malformed) = m.received(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0xFF])) {} else { Issue.record("malformed") }
        m = ClientHelloSnifferStateMachine(maxFlightBytes: 16384)
        var v2 = Self.hello()
        v2.isSSLv2Format = true
        v2.extensions = []
        v2.random = [UInt8](repeating: 1, count: 16)
        if case .fail(.sslv2) = m.received(v2.sslv2Record()) {} else { Issue.record("SSLv2") }
        m = ClientHelloSnifferStateMachine(maxFlightBytes: 1024)
        if case .fail(.oversized) = m.received(Self.hello(padding: 4000).records()) {} else { Issue.record("oversized") }
    }

    @Test("timeout and early close report what arrived")
    func timeoutAndClose() {
        var m = ClientHelloSnifferStateMachine(maxFlightBytes: 16384)
        _ = m.received(ByteBuffer(bytes: [0x16, 0x03, 0x01]))
        if case .fail(.timeout(bytes: 3)) = m.timedOut() {} else { Issue.record("timeout") }
        if case .ignore = m.inputClosed() {} else { Issue.record("decided twice") }
        var c = ClientHelloSnifferStateMachine(maxFlightBytes: 16384)
        if case .fail(.closed(bytes: 0)) = c.inputClosed() {} else { Issue.record("close") }
    }
}
