import Foundation
import NIOCore
import Testing
@testable import TLSPolicy
import TLSWire

/// The shipped table (Sources/TLSPolicy/ClientProfiles/clients.json) and `identify`.
@Suite("client profiles")
struct ClientProfileSetTests {
    static let table: ClientProfileSet = (try? ClientProfileSet.loadShipped()) ?? ClientProfileSet(version: "unavailable")
    static let families: Set<String> = ["curl", "openssl", "python", "java", "node", "gnutls", "go", "perl", "browser", "wget", "tlslite"]

    @Test func shippedTableLoads() throws {
        let table = try ClientProfileSet.loadShipped()
        #expect(ClientProfileSet.shipped == table)
        #expect(table.version.wholeMatch(of: /\d{4}-\d{2}-\d{2}(\.\d+)?/) != nil, "version \(table.version)")
        #expect(table.hostName == "clients.tlsguard.test")
        #expect(table.profiles.count >= 20)
        #expect(Set(table.profiles.map(\.id)).count == table.profiles.count)
        for p in table.profiles {
            #expect(Self.families.contains(p.family), "\(p.id): family \(p.family)")
            #expect(p.provenance.hasPrefix("captured on Debian 12 by scripts/capture-client-hellos"), "\(p.id)")
            #expect(p.captureDate.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil, "\(p.id)")
            #expect(p.captureDate <= String(table.version.prefix(10)), "\(p.id) captured after the table's version")
            #expect(!p.command.isEmpty && !p.versionOutput.isEmpty && !p.configuration.isEmpty, "\(p.id)")
            #expect(p.hello.serverName == table.hostName, "\(p.id): SNI \(p.hello.serverName ?? "none")")
        }
        // Every family the capture script runs on a Debian 12 machine with its clients installed.
        #expect(Set(table.profiles.map(\.family)) == Self.families)
    }

    @Test(arguments: table.profiles)
    func helloParsesAndFingerprintsRecompute(_ profile: ClientProfile) throws {
        // From the stored bytes, read again from scratch and byte at a time.
        var reader = ClientHelloReader()
        var flight: ClientHelloFlight?
        for byte in profile.recordBytes {
            #expect(flight == nil, "\(profile.id): the hello ended before its records did")
            reader.feed(bytes: [byte])
            flight = try reader.read()
        }
        let parsed = try #require(flight, "\(profile.id): the records do not hold a whole ClientHello")
        #expect(parsed == profile.flight)
        #expect(parsed.wireLength == profile.recordBytes.count)
        let fingerprint = ClientFingerprint(parsed.hello)
        #expect(fingerprint.ja4 == profile.ja4, "\(profile.id)")
        #expect(fingerprint.ja3 == profile.ja3, "\(profile.id)")
        // A simulation sends these bytes: TLSWire writes the parsed hello back exactly.
        #expect(parsed.hello.wireBytes(recordVersion: parsed.recordVersion) == profile.recordBytes, "\(profile.id)")
    }

    @Test(arguments: table.profiles)
    func identifyNamesEachProfileByItsJA4(_ profile: ClientProfile) {
        let table = Self.table
        let sharing = table.profiles.filter { $0.ja4 == profile.ja4 }
        let alone = table.identify(ja4: profile.ja4, userAgent: nil)
        #expect(alone.match == .ja4)
        #expect(alone.profiles == sharing.map(\.id))
        #expect(alone.fix != nil)
        if sharing.count == 1 {
            #expect(alone.name == profile.name)
            #expect(alone.family == profile.family)
            #expect(alone.note == nil)
            #expect(alone.fix == ClientRemediation.fix(family: profile.family))
        } else {
            for other in sharing { #expect(alone.name.contains(other.name) || alone.name.contains("more")) }
            #expect(alone.note?.contains("named together") == true)
        }
        // With its own user agent, a profile among several with the same hello is picked (with its
        // siblings of the same UA, e.g. one client's configurations).
        if let agent = profile.userAgent {
            let withAgent = table.identify(ja4: profile.ja4, userAgent: agent)
            #expect(withAgent.profiles.contains(profile.id))
            #expect(withAgent.profiles.allSatisfy { id in table.profile(id: id)?.userAgent == agent })
        }
    }

    @Test func sharedHelloNamedTogetherOrPickedByUserAgent() throws {
        let table = Self.table
        let ssl = try #require(table.profile(id: "openssl-3.0-s_client-tls1"))
        let sharing = table.profiles.filter { $0.ja4 == ssl.ja4 }.map(\.id)
        // OpenSSL 3.0's TLS 1.0 hello is the same whichever program asks for it.
        #expect(sharing.contains("python-3.11-context-tls1.0"))
        #expect(sharing.contains("perl-io-socket-ssl-2.081-tls1.0"))
        let together = table.identify(ja4: ssl.ja4, userAgent: nil)
        #expect(together.name.contains(ssl.name))
        #expect(together.family.contains("openssl") && together.family.contains("python") && together.family.contains("perl"))
        #expect(together.fix?.contains("python: ") == true)
        let python = table.identify(ja4: ssl.ja4, userAgent: "Python-urllib/3.11")
        #expect(python.profiles == ["python-3.11-context-tls1.0"])
        #expect(python.name == "Python 3.11 (ssl, OpenSSL 3.0, TLS 1.0 only)")
        #expect(python.family == "python")
        #expect(python.note?.contains("picked by the user agent") == true)
        // A user agent of the family picks it even when the exact string differs.
        let perl = table.identify(ja4: ssl.ja4, userAgent: "HTTP-Tiny/0.070")
        #expect(perl.profiles == ["perl-io-socket-ssl-2.081-tls1.0"])
        // A user agent of another family does not override the hello.
        let other = table.identify(ja4: ssl.ja4, userAgent: "curl/7.88.1")
        #expect(other.profiles == sharing)
    }

    @Test func ja4HashesFallback() throws {
        let table = Self.table
        let curl = try #require(table.profile(id: "curl-7.88-default"))
        // The same curl to an IP address: no SNI, one extension fewer; same suites and extensions otherwise.
        let parts = curl.ja4.split(separator: "_")
        let noSNI = "t13i3111h2_\(parts[1])_\(parts[2])"
        let id = table.identify(ja4: noSNI, userAgent: nil)
        #expect(id.match == .ja4Hashes)
        #expect(id.profiles.contains("curl-7.88-default"))
        #expect(id.name.contains(curl.name))
        #expect(id.note?.contains("same cipher and extension hashes") == true)
        #expect(id.fix == ClientRemediation.fix(.curl))
        // Two curl configurations share hashes and differ in version: the same version is preferred.
        let tls10 = try #require(table.profile(id: "curl-7.88-tls1.0"))
        let tls11 = try #require(table.profile(id: "curl-7.88-tls1.1-max"))
        #expect(tls10.ja4.split(separator: "_").dropFirst() == tls11.ja4.split(separator: "_").dropFirst())
        let h = tls10.ja4.split(separator: "_")
        let id10 = table.identify(ja4: "t10i0905h2_\(h[1])_\(h[2])", userAgent: nil)
        #expect(id10.match == .ja4Hashes)
        #expect(id10.profiles == ["curl-7.88-tls1.0"])
        // Another version with those hashes: both, named together.
        let id12 = table.identify(ja4: "t12d0906h2_\(h[1])_\(h[2])", userAgent: nil)
        #expect(Set(id12.profiles) == ["curl-7.88-tls1.0", "curl-7.88-tls1.1-max"])
    }

    @Test func userAgentThenUnknown() {
        let table = Self.table
        let odd = "t13d0102h2_000000000001_000000000002"
        let viaAgent = table.identify(ja4: odd, userAgent: "curl/7.29.0")
        #expect(viaAgent == ClientIdentity(name: "curl 7.29", family: "curl", match: .userAgent, fix: ClientRemediation.fix(.curl)))
        #expect(table.identify(ja4: odd, userAgent: nil).name == "unknown (JA4 \(odd))")
        #expect(table.identify(ja4: odd, userAgent: "SomeAgent/1.0").match == .unknown)
        #expect(table.identify(ja4: odd, userAgent: "").match == .unknown)
        let none = table.identify(ja4: nil, userAgent: nil)
        #expect(none == ClientIdentity(name: "unknown (JA4 none)", family: "unknown", match: .unknown, fix: nil))
        #expect(table.identify(ja4: "not a ja4", userAgent: "Wget/1.12").name == "Wget 1.12")
    }

    @Test func identityCodable() throws {
        let id = Self.table.identify(ja4: Self.table.profiles[0].ja4, userAgent: nil)
        #expect(try JSONDecoder().decode(ClientIdentity.self, from: JSONEncoder().encode(id)) == id)
        let placeholder = #"{"name":"unknown (JA4 none)","family":"unknown","match":"unknown"}"#
        #expect(try JSONDecoder().decode(ClientIdentity.self, from: Data(placeholder.utf8))
            == ClientIdentity(name: "unknown (JA4 none)", family: "unknown", match: .unknown, fix: nil))
    }

    @Test func identifyByHello() throws {
        let profile = try #require(Self.table.profile(id: "go-1.19-default"))
        let id = Self.table.identify(hello: profile.hello, userAgent: nil)
        #expect(id.profiles == ["go-1.19-default"])
        #expect(id.fix == ClientRemediation.fix(.go))
    }

    @Test func gatewaySentenceUnchanged() {
        #expect(ClientRemediation.upgradeSentence(minimumVersion: .tls12)
            == "Upgrade the client's TLS stack so it offers TLS 1.2 or newer (for example .NET Framework 4.6.2+ or set "
            + "SecurityProtocol to Tls12, Java 8+, OpenSSL 1.0.1+, curl 7.34+, Python 3.4+ linked to OpenSSL 1.0.1+), then retry.")
        // The client fixes reuse the server-side catalogue's client sentences rather than copies.
        #expect(ClientRemediation.fix(.java)!.contains(Remediation.javaClientProtocols))
        #expect(ClientRemediation.fix(.dotnet)!.contains(Remediation.dotnetStrongCrypto))
        #expect(Remediation.steps(for: "legacy-protocols", platform: "java")[1].steps.contains(Remediation.javaClientProtocols))
        #expect(ClientRemediation.fix(.powershell5)!.contains("[Net.ServicePointManager]::SecurityProtocol = 'Tls12'"))
        #expect(ClientRemediation.fix(.java7)!.contains("-Dhttps.protocols=TLSv1.2"))
        for family in Self.families { #expect(ClientRemediation.fix(family: family) != nil, "\(family)") }
    }

    // MARK: - Writing the table (scripts/capture-client-hellos)

    /// The shipped profiles as a capture run would report them, each hello re-sent with a new
    /// random, session ID and key shares, as a second run of the same client sends it.
    static func recapture(_ table: ClientProfileSet, date: String) throws -> ClientCaptureRun {
        var generator = SystemRandomNumberGenerator()
        let captures = try table.profiles.map { p -> ClientCaptureRun.Capture in
            var hello = p.hello
            hello.random = (0..<hello.random.count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !hello.sessionID.isEmpty { hello.sessionID = (0..<hello.sessionID.count).map { _ in UInt8.random(in: 0...255) } }
            let bytes = hello.wireBytes(recordVersion: p.flight.recordVersion)
            #expect(bytes != p.recordBytes)
            _ = try ClientProfile.parseFlight(bytes)
            return ClientCaptureRun.Capture(
                id: p.id, name: p.name, family: p.family, clientVersion: p.clientVersion, library: p.library,
                libraryVersion: p.libraryVersion, configuration: p.configuration, command: p.command,
                versionOutput: p.versionOutput, captureDate: date, provenance: p.provenance,
                recordHex: bytes.hexString, userAgent: p.userAgent)
        }
        return ClientCaptureRun(captureDate: date, hostName: table.hostName, profiles: captures)
    }

    @Test func rerunWithUnchangedClientsChangesNothing() throws {
        let table = Self.table
        let merge = try ClientProfileSet.merge(try Self.recapture(table, date: "2099-01-01"), into: table, prune: true)
        #expect(merge.set == table)
        #expect(merge.unchanged.count == table.profiles.count)
        #expect(merge.added.isEmpty && merge.changed.isEmpty && merge.removed.isEmpty)
        #expect(try merge.set.encoded() == (try table.encoded()))
    }

    @Test func rerunWithAChangedClientBumpsTheVersion() throws {
        let table = Self.table
        var run = try Self.recapture(table, date: "2099-01-01")
        run.profiles[0].clientVersion += "-new"
        let removed = run.profiles.removeLast()
        let merge = try ClientProfileSet.merge(run, into: table, prune: false)
        #expect(merge.changed == [run.profiles[0].id])
        #expect(merge.kept == [removed.id])
        #expect(merge.set.version == "2099-01-01")
        #expect(merge.set.profile(id: run.profiles[0].id)?.captureDate == "2099-01-01")
        #expect(merge.set.profile(id: removed.id) == table.profile(id: removed.id))
        let pruned = try ClientProfileSet.merge(run, into: table, prune: true)
        #expect(pruned.removed == [removed.id])
        #expect(pruned.set.profile(id: removed.id) == nil)
        // A second change on the same day.
        var again = run
        again.profiles[1].configuration += " (again)"
        #expect(try ClientProfileSet.merge(again, into: merge.set, prune: false).set.version == "2099-01-01.2")
        #expect(ClientProfileSet.nextVersion(after: "2099-01-01.2", on: "2099-01-01") == "2099-01-01.3")
        #expect(ClientProfileSet.nextVersion(after: "2098-12-31", on: "2099-01-01") == "2099-01-01")
    }

    @Test func badRecordsAreRefusedWithTheProfileNamed() throws {
        let p = try #require(Self.table.profiles.first)
        var json = String(decoding: try p.encodedForTest(), as: UTF8.self)
        json = json.replacingOccurrences(of: p.recordHex, with: String(p.recordHex.dropLast(10)))
        #expect(throws: ClientProfileError.self) { try JSONDecoder().decode(ClientProfile.self, from: Data(json.utf8)) }
        #expect(throws: ClientProfileError.self) { try ClientProfile.parseFlight(p.recordBytes + [0x16]) }
    }
}

extension ClientProfile {
    fileprivate func encodedForTest() throws -> Data { try JSONEncoder().encode(self) }
}
