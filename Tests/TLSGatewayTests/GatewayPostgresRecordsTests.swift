import Foundation
import Testing
import TLSGateway
import TLSTelemetry
@testable import TestSupport

/// Two gateways writing to one PostgreSQL (`records.postgres`), read back as `tlsguard impact` would.
@Suite("Gateway records in PostgreSQL", .serialized)
struct GatewayPostgresRecordsTests {
    static func yaml(gateway: String, url: String) -> String {
        providerYAML.replacingOccurrences(of: "  database: {{db}}\n", with: "  postgres: \"\(url)\"\n  gateway: \(gateway)\n")
    }

    @Test("two gateways share one database: each record names its gateway, hellos are stored once, impact reads both")
    func fleet() async throws {
        let server = try PostgresServer.start()
        defer { server.stop() }
        let url = try server.createDatabase()
        // Records carry the gateways' (test) clock.
        let since = Dates.grace.addingTimeInterval(-3600), until = Dates.grace.addingTimeInterval(3600)
        try await withGateway(yaml: Self.yaml(gateway: "gw-a", url: url), at: Dates.grace) { a in
            try await withGateway(yaml: Self.yaml(gateway: "gw-b", url: url), at: Dates.grace) { b in
                #expect(a.gateway.configuration.records.postgresURL == url)
                #expect(a.gateway.telemetry?.store is PostgresRecordStore)
                for h in [a, b] {
                    for version in ["1.0", "1.3"] {
                        let r = try TestHTTPS.curl(port: h.port, path: "/v1/charges", tls: version, headers: ["X-API-Key: k"])
                        #expect(r.status == 200, "\(r.stderr)")
                    }
                }
                // Records land when a connection's outcome is known; give the writers a moment.
                let reader = try PostgresRecordStore(url: url)
                var connections: [ConnectionRecord] = []
                for _ in 0..<100 {
                    await a.gateway.flushRecords()
                    await b.gateway.flushRecords()
                    connections = try await reader.connections()
                    if connections.count >= 4 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(connections.count == 4)
                #expect(connections.compactMap(\.gateway).sorted() == ["gw-a", "gw-a", "gw-b", "gw-b"])
                #expect(try await reader.requests().count == 4)
                // Both gateways saw the same two curl hellos: two rows, not four.
                let hashes = Set(connections.compactMap(\.helloHash))
                #expect(hashes.count == 2)
                #expect(try await reader.rowCounts().hellos == 2)
                #expect(try await reader.clientHellos(hashes: hashes).count == 2)
                let observations = try await reader.impactObservations(since: since, until: until)
                #expect(Set(observations.compactMap(\.gateway)) == ["gw-a", "gw-b"])
                #expect(observations.map(\.connections).reduce(0, +) == 4)
                #expect(observations.map(\.requests).reduce(0, +) == 4)
                // The day of the records has its partition (the days ahead come from the writers'
                // maintenance, which runs beside the first writes).
                #expect(try await reader.dayPartitions(of: "connection").contains(Dates.at("2026-03-01T00:00:00Z")))
                await reader.close()
            }
        }
    }
}
