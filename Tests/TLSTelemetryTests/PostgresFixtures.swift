import Foundation
@testable import TestSupport
@testable import TLSTelemetry

/// A PostgreSQL server for one test, with a fresh database; stopped when `body` ends, even when it throws.
func withPostgres<T>(durable: Bool = false, _ body: (PostgresServer, String) async throws -> T) async throws -> T {
    let server = try PostgresServer.start(durable: durable)
    defer { server.stop() }
    let url = try server.createDatabase()
    return try await body(server, url)
}

/// A store on `url` that is closed when `body` ends.
func withStore<T>(_ url: String, retention: Duration? = nil, options: PostgresRecordStore.Options = .init(),
                  _ body: (PostgresRecordStore) async throws -> T) async throws -> T {
    let store = try PostgresRecordStore(url: url, retention: retention, options: options)
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// Records of a few clients over a few days, with every optional field both set and nil.
enum RecordFixtures {
    static let base = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28 20:26:40 UTC

    static func hello(_ n: Int) -> ClientHelloRecord {
        ClientHelloRecord(hash: "hash-\(n)", firstSeen: base.addingTimeInterval(Double(n)), recordVersion: "TLSv1.0",
                          bytes: [0x16, 0x03, 0x01, 0x00, UInt8(n % 256)] + Array(repeating: UInt8(n % 7), count: 200),
                          ja3: n % 2 == 0 ? "ja3-\(n)" : nil, ja4: "t1\(n % 3)d_\(n)")
    }

    static func connection(_ n: Int, at time: Date? = nil, gateway: String? = "gw-a") -> ConnectionRecord {
        let versions = ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
        let v = versions[n % 4]
        return ConnectionRecord(
            time: time ?? base.addingTimeInterval(Double(n) * 37.123_4567), listener: "public",
            clientAddress: "192.0.2.\(n % 5)", clientPort: 40_000 + n, serverName: n % 6 == 0 ? nil : "api\(n % 2).example.com",
            offeredVersions: v, maxOfferedVersion: v, recordVersion: "TLSv1.0",
            negotiatedVersion: n % 5 == 0 ? nil : v, cipherSuite: n % 5 == 0 ? nil : "TLS_AES_128_GCM_SHA256",
            ja3: "ja3-\(n % 3)", ja4: n % 7 == 0 ? nil : "ja4-\(n % 3)", alpnOffered: "h2,http/1.1",
            alpnNegotiated: n % 2 == 0 ? "h2" : nil, outcome: n % 5 == 0 ? "refused" : "accepted",
            rule: "default.minimumVersion", mode: n % 5 == 0 ? "enforce" : "modern", detail: n % 5 == 0 ? "cutoff passed" : nil,
            helloHash: "hash-\(n % 4)", gateway: gateway)
    }

    static func request(_ n: Int, on connection: ConnectionRecord, after seconds: Double = 0.25) -> RequestRecord {
        RequestRecord(
            connectionID: connection.id, time: connection.time.addingTimeInterval(seconds), method: "GET",
            host: "api.example.com", path: "/v1/\(n)", status: 200, userAgent: n % 3 == 0 ? nil : (n % 2 == 0 ? "Zeta/1" : "alpha/2"),
            apiKey: n % 4 == 0 ? nil : "sha256:\(n % 3)", upstreamLatencyMs: n % 2 == 0 ? Double(n) / 3 : nil, outcome: "proxied",
            // As a v3 gateway writes it, and without (an older gateway's request).
            connectionTime: n % 5 == 0 ? nil : connection.time)
    }

    /// Milliseconds since 1970: how both stores keep times.
    static func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

extension ImpactObservation {
    /// The observation with its times to the millisecond, for comparing stores (each turns its
    /// stored text or microseconds back into a `Date` its own way).
    var comparable: String {
        "\(helloHash ?? "-")|\(serverName ?? "-")|\(clientAddress ?? "-")|\(offeredVersions ?? "-")|\(maxOfferedVersion ?? "-")|"
            + "\(negotiatedVersion ?? "-")|\(cipherSuite ?? "-")|\(ja3 ?? "-")|\(ja4 ?? "-")|\(apiKey ?? "-")|\(userAgent ?? "-")|"
            + "\(outcome)|\(gateway ?? "-")|\(connections)|\(requests)|\(RecordFixtures.ms(firstSeen))|\(RecordFixtures.ms(lastSeen))"
    }
}
