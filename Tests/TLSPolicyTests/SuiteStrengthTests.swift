import Testing
import TLSPolicy
import TLSWire

@Suite("suite strength")
struct SuiteStrengthTests {
    @Test func ratingsFollowTheSuitesProperties() {
        #expect(CipherSuite(0xC02F).strength.rating == .strong)
        #expect(CipherSuite(0x000A).strength.rating == .weak)
        #expect(CipherSuite(0x000A).strength.tags.contains("SWEET32"))
        #expect(CipherSuite(0x0003).strength.rating == .insecure)
        #expect(CipherSuite(0xFAFA).strength.reasons == ["unknown suite"])
    }
}
