import Testing
@testable import TLSTelemetry

@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test("a full URL parses, percent-escapes decoded, and prints without its password")
    func parses() throws {
        let url = try PostgresURL(parsing: "postgres://tls%40guard:p%2Fss@w@rd@db.internal:6432/fleet%20records?sslmode=require")
        #expect(url.user == "tls@guard")
        #expect(url.password == "p/ss@w@rd")
        #expect(url.host == "db.internal")
        #expect(url.port == 6432)
        #expect(url.database == "fleet records")
        #expect(url.sslMode == .require)
        #expect(url.redacted == "postgres://tls%40guard:***@db.internal:6432/fleet%20records?sslmode=require")
        #expect(!"\(url)".contains("w@rd") && !"\(url)".contains("p%2Fss"))
    }

    @Test("defaults: port 5432, sslmode prefer, no database; IPv6 hosts; postgresql:// too")
    func defaults() throws {
        let url = try PostgresURL(parsing: "postgresql://app@[::1]")
        #expect(url == PostgresURL(host: "::1", port: 5432, user: "app", password: nil, database: nil, sslMode: .prefer))
        #expect(url.redacted == "postgres://app@[::1]:5432")
        #expect(try PostgresURL(parsing: "postgres://app@h/db?sslmode=disable").sslMode == .disable)
        #expect(try PostgresURL(parsing: "postgres://app@h/db?sslmode=verify-full").sslMode == .verifyFull)
    }

    @Test("a bad URL is one line naming the bad part, never the password",
          arguments: [
              ("mysql://app:pw@h/db", "scheme"),
              ("postgres://h:5432/db", "no user"),
              ("postgres://app:pw@:5432/db", "no host"),
              ("postgres://app:pw@h:99999/db", "port '99999'"),
              ("postgres://app:pw@h:54x/db", "port '54x'"),
              ("postgres://app:pw@h/db?sslmode=always", "sslmode 'always'"),
              ("postgres://app:pw@h/db?timeout=5", "unknown parameter 'timeout'"),
              ("postgres://app:pw@[::1/db", "closing ']'"),
              ("postgres://app:pw@h/a/b", "contains '/'"),
              ("postgres://app:%zz@h/db", "password has a bad %-escape"),
          ])
    func rejects(text: String, problem: String) throws {
        let error = #expect(throws: TelemetryError.self) { try PostgresURL(parsing: text) }
        let message = "\(try #require(error))"
        #expect(error?.code == .invalidURL)
        #expect(message.contains(problem), "\(message)")
        #expect(!message.contains(":pw@") && !message.contains("%zz"), "\(message)")
        #expect(!message.contains("\n"))
    }

    @Test("PostgresRecordStore(url:) rejects a bad URL before connecting")
    func storeRejects() {
        #expect(throws: TelemetryError.self) { try PostgresRecordStore(url: "postgres://app:pw@h:0/db") }
    }
}
