import Testing
@testable import TLSPolicy
import TLSReport
import TLSWire

/// Logjam from the DH primes the scan read, per suite.
@Suite("DH parameters verdict")
struct DHParametersJudgeTests {
    /// TLS 1.2 with two DHE suites; `read` are the primes the scan read (suite names with them).
    func verdict(_ read: [DHParameters]) throws -> JudgedFinding {
        var f = Fixture()
        f.versions = [.tls12: [0x0033, 0x0039]] // DHE_RSA_WITH_AES_{128,256}_CBC_SHA
        var t = f.report()
        let i = try #require(t.protocols.firstIndex { $0.version == .tls12 })
        t.protocols[i].dhParameters = read
        t.protocols[i].dhParameterBits = read.map(\.primeBits).min()
        return try #require(WeaknessJudge.judge(t).first { $0.id == .dhParameters })
    }

    @Test func everySuitesPrimeReadAndLarge() throws {
        let v = try verdict([DHParameters(primeBits: 2048, wellKnownPrime: nil,
                                          suites: ["TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"])])
        #expect(v.check == .completed)
        #expect(v.vulnerable == false)
    }

    /// A suite whose prime was not read (the server stalled after its ServerHello) may hide a small
    /// prime: large primes elsewhere do not make it "not vulnerable".
    @Test func anUnreadSuiteIsNotCleared() throws {
        let v = try verdict([DHParameters(primeBits: 2048, wellKnownPrime: nil, suites: ["TLS_DHE_RSA_WITH_AES_128_CBC_SHA"])])
        #expect(v.check.status == .error)
        #expect(v.vulnerable == nil)
        #expect(v.check.reason?.contains("TLS_DHE_RSA_WITH_AES_256_CBC_SHA (TLS 1.2)") == true, "\(v.check.reason ?? "")")
    }

    /// A small prime read is a finding whatever was not read.
    @Test func aSmallPrimeReadIsVulnerableEvenWithAnUnreadSuite() throws {
        let v = try verdict([DHParameters(primeBits: 1024, wellKnownPrime: nil, suites: ["TLS_DHE_RSA_WITH_AES_128_CBC_SHA"])])
        #expect(v.check == .completed)
        #expect(v.vulnerable == true)
    }
}
