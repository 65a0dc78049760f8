import NIOCore
import TLSWire

/// Drives the internal TLS 1.2 and TLS 1.3 client state machines over bytes a "server" sent, for
/// the libFuzzer targets in `FuzzTesting/`. That is another package, so it cannot see the state
/// machines (`package` access stops at the package boundary). No API promise (the `_` prefix).
public enum _HandshakeFuzzing {
    /// Which client, and which of its options, to run.
    public enum Client: Sendable, CaseIterable {
        case tls12
        case tls12Renegotiate
        case tls12ResumeSessionID
        case tls12ResumeTicket
        case tls13
        case tls13Resume
    }

    /// Starts `client` (it builds its ClientHello), feeds `serverBytes` in pieces of `chunkSize`
    /// bytes, then reports a timeout and the peer closing. Stops feeding once the machine finishes.
    /// - Returns: how many actions asked to send bytes (to keep the work observable).
    @discardableResult
    public static func run(_ client: Client, serverBytes: [UInt8], chunkSize: Int) -> Int {
        switch client {
        case .tls12, .tls12Renegotiate, .tls12ResumeSessionID, .tls12ResumeTicket:
            var config = TLS12ClientStateMachine.Configuration(serverName: "fuzz.example")
            let session = TLS12Session(suite: CipherSuite(0xC02F), masterSecret: [UInt8](repeating: 1, count: 48),
                                       sessionID: [UInt8](repeating: 2, count: 32), ticket: [3, 3, 3], extendedMasterSecret: true)
            switch client {
            case .tls12Renegotiate: config.renegotiate = true
            case .tls12ResumeSessionID: config.resume = .sessionID(session)
            case .tls12ResumeTicket: config.resume = .ticket(session)
            default: break
            }
            return drive(TLS12ClientStateMachine(config), serverBytes, chunkSize)
        case .tls13, .tls13Resume:
            var config = TLS13ClientStateMachine.Configuration(serverName: "fuzz.example")
            if client == .tls13Resume {
                config.resume = TLS13Ticket(suite: CipherSuite(0x1301), lifetime: 7200, ageAdd: 1000, nonce: [0], ticket: [9, 9, 9],
                                            maxEarlyDataSize: 16, psk: [UInt8](repeating: 4, count: 32), receivedAt: .now(), alpn: nil)
                config.earlyData = Array("GET / HTTP/1.1\r\n\r\n".utf8)
                config.ticketAgeMilliseconds = 10
            }
            return drive(TLS13ClientStateMachine(config), serverBytes, chunkSize)
        }
    }

    private static func drive<Machine: HandshakeStateMachine>(_ machine: Machine, _ bytes: [UInt8], _ chunkSize: Int) -> Int {
        var machine = machine
        _ = machine.start()
        var sends = 0
        var finished = false
        func note(_ action: HandshakeAction<Machine.Result>) {
            switch action {
            case .none, .waitBriefly: break
            case .send, .sendThenWaitBriefly: sends += 1
            case .finish: finished = true
            }
        }
        var rest = bytes[...]
        let step = max(1, chunkSize)
        while !rest.isEmpty, !finished {
            note(machine.received(ByteBuffer(bytes: rest.prefix(step))))
            rest = rest.dropFirst(step)
        }
        if !finished { note(machine.timedOut()) }
        note(machine.peerClosed())
        return sends
    }
}
