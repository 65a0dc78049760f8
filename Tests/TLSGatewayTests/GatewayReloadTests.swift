import Foundation
import Testing
import TLSGateway
import TLSTelemetry
@testable import TestSupport

@Suite("Reload and drain", .serialized)
struct GatewayReloadTests {
    @Test("reload with a changed certificate and policy keeps open connections; new ones get the new certificate")
    func reloadKeepsConnections() async throws {
        try await withGateway(yaml: providerYAML) { h in
            let (client, before) = try await TestTLSClient.connect(port: h.port)
            #expect(try await client.get("/first").hasPrefix("HTTP/1.1 200"))

            // New certificate for localhost, and the default policy now enforces.
            let fresh = try TestCertificate.ecdsa(curve: "secp384r1")
            var text = try String(contentsOfFile: h.configPath, encoding: .utf8)
            let ec = try TestCertificate.ecdsa()
            text = text.replacingOccurrences(of: ec.certPath, with: fresh.certPath).replacingOccurrences(of: ec.keyPath, with: fresh.keyPath)
            text = text.replacingOccurrences(of: "mode: warn", with: "mode: enforce")
            try text.write(toFile: h.configPath, atomically: true, encoding: .utf8)
            try h.gateway.reload()

            #expect(client.isActive, "the open connection survived the reload")
            #expect(try await client.get("/second").hasPrefix("HTTP/1.1 200"))
            let (second, after) = try await TestTLSClient.connect(port: h.port)
            #expect(before != after, "a new connection gets the new certificate")
            #expect(try await second.get("/third").hasPrefix("HTTP/1.1 200"))
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1").alert == 70, "the new policy applies")
            await client.close()
            await second.close()

            // A broken file is refused and the running configuration stays.
            try "listeners: [".write(toFile: h.configPath, atomically: true, encoding: .utf8)
            #expect(throws: GatewayConfigError.self) { try h.gateway.reload() }
            #expect(try TestHTTPS.curl(port: h.port, tls: "1.3").status == 200)
        }
    }

    @Test("shutdown drains: an in-flight request completes, idle connections close, records are flushed")
    func drain() async throws {
        let harness = try await GatewayHarness.start(yaml: providerYAML.replacingOccurrences(of: "responseTimeout: 2s", with: "responseTimeout: 20s"))
        let (busy, _) = try await TestTLSClient.connect(port: harness.port)
        let (idle, _) = try await TestTLSClient.connect(port: harness.port)
        _ = try await idle.get("/warm")
        let before = harness.upstream!.requestCount
        async let slow = busy.get("/slow?ms=3000", timeout: 30)
        // Drain once the upstream holds the request, not after a guessed delay: test threads can be late.
        while harness.upstream!.requestCount == before { try await Task.sleep(nanoseconds: 5_000_000) }
        await harness.gateway.shutdown(drainTimeout: .seconds(10))
        let response = try await slow
        #expect(response.hasPrefix("HTTP/1.1 200"))
        #expect(response.lowercased().contains("connection: close"))
        await idle.closed()
        #expect(!idle.isActive)
        let records = try #require(harness.gateway.telemetry?.store as? TelemetryStore).connections()
        #expect(records.count == 2)
        #expect(try #require(harness.gateway.telemetry?.store as? TelemetryStore).requests().count == 2)
        #expect(!TestSocket.canConnect(port: harness.port))
        await harness.upstream?.stop()
    }
}
