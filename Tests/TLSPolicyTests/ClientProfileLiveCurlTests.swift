import Foundation
import NIOCore
import Testing
@testable import TestSupport
@testable import TLSPolicy
import TLSWire

/// Real curl against a capture listener started here: `identify` names it by JA4, and its hello is
/// the one scripts/capture-client-hellos stored (but for what differs on every connection).
@Suite("client profiles: live curl", .serialized)
struct ClientProfileLiveCurlTests {
    static let curl = "/usr/bin/curl"

    /// This machine's curl is the captured one (Debian 12's curl 7.88 with OpenSSL 3.0): another
    /// curl sends another hello, and the test is skipped rather than failed.
    static let capturedCurlPresent: Bool = {
        guard FileManager.default.isExecutableFile(atPath: curl),
              let stored = ClientProfileSet.shipped.profile(id: "curl-7.88-default"),
              let run = try? TestProcess.run(curl, ["--version"], timeout: 10)
        else { return false }
        return run.stdout.components(separatedBy: "\n").first == stored.versionOutput
    }()

    /// Runs curl once against a fresh listener; returns its first flight, parsed.
    func captureCurl(_ arguments: [String], host: String?) throws -> ClientHelloFlight {
        let server = try FirstFlightServer { bytes in
            var reader = ClientHelloReader(maxFlightBytes: 64 * 1024)
            reader.feed(bytes: bytes)
            return (try? reader.read()) != nil
        }
        defer { server.stop() }
        let url: [String]
        if let host {
            url = ["--resolve", "\(host):\(server.port):127.0.0.1", "https://\(host):\(server.port)/"]
        } else {
            url = ["https://127.0.0.1:\(server.port)/"]
        }
        let run = try TestProcess.run(Self.curl, arguments + url, timeout: 20)
        #expect(!run.timedOut)
        let flight = try #require(server.waitForFlights(1).first, "curl sent nothing: \(run.stderr)")
        return try ClientProfile.parseFlight(flight)
    }

    @Test(.enabled(if: capturedCurlPresent))
    func curlIsNamedByItsJA4() throws {
        let table = ClientProfileSet.shipped
        let stored = try #require(table.profile(id: "curl-7.88-default"))
        // The script's command line, three times: curl sends the same hello on every run.
        var flights: [ClientHelloFlight] = []
        for _ in 0..<3 { flights.append(try captureCurl(["-sS", "-o", "/dev/null"], host: table.hostName)) }
        for flight in flights {
            let ja4 = ClientFingerprint(flight.hello).ja4
            let id = table.identify(ja4: ja4, userAgent: nil)
            #expect(id.match == .ja4)
            #expect(id.profiles == ["curl-7.88-default"])
            #expect(id.name == stored.name)
            #expect(id.family == "curl")
            #expect(ClientProfile.comparableBytes(flight) == ClientProfile.comparableBytes(stored.flight),
                    "live \(ClientFingerprint(flight.hello).ja4_ro)\nstored \(ClientFingerprint(stored.hello).ja4_ro)")
            #expect(flight.hello.random != stored.hello.random)
        }
        // With the same legacy flags as the stored profile.
        let tls10 = try #require(table.profile(id: "curl-7.88-tls1.0"))
        let legacy = try captureCurl(["-sS", "-o", "/dev/null", "--tlsv1.0", "--tls-max", "1.0"], host: table.hostName)
        #expect(table.identify(ja4: ClientFingerprint(legacy.hello).ja4, userAgent: nil).profiles == [tls10.id])
    }

    /// What changes curl's hello: options the test helpers use elsewhere, and the target's name.
    @Test(.enabled(if: capturedCurlPresent))
    func whatChangesCurlsHello() throws {
        let table = ClientProfileSet.shipped
        let stored = try #require(table.profile(id: "curl-7.88-default"))
        // -k (no verification) and --max-time leave the hello as it is.
        let k = try captureCurl(["-sS", "-k", "--max-time", "10", "-o", "/dev/null"], host: table.hostName)
        #expect(ClientFingerprint(k.hello).ja4 == stored.ja4)
        // An IP address has no SNI: another JA4, the same cipher and extension hashes.
        let ip = try captureCurl(["-sS", "-o", "/dev/null"], host: nil)
        let byIP = table.identify(ja4: ClientFingerprint(ip.hello).ja4, userAgent: nil)
        #expect(byIP.match == .ja4Hashes)
        #expect(byIP.profiles.contains(stored.id))
        // --ciphers (as TestHTTPS.curlVersionFlags passes for TLS 1.0) changes the offered suites.
        let ciphers = try captureCurl(["-sS", "-o", "/dev/null", "--ciphers", "DEFAULT:@SECLEVEL=0"], host: table.hostName)
        #expect(ClientFingerprint(ciphers.hello).ja4 != stored.ja4)
    }
}
