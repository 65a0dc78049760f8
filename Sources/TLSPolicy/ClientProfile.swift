import TLSWire

/// One known client: the exact first flight a real client sent, captured by
/// `scripts/capture-client-hellos`, with what it is and how it was run (docs/client-profiles.md).
///
/// The hello is kept byte for byte (`recordBytes`) and parsed by TLSWire (`flight`), so a
/// simulation can send exactly what the client sends; `ja3` and `ja4` are what TLSWire's
/// `ClientFingerprint` computed from it when the table was written.
public struct ClientProfile: Sendable, Hashable, Identifiable {
    /// Stable id, e.g. `curl-7.88-tls1.0`.
    public var id: String
    /// e.g. "curl 7.88 (OpenSSL 3.0, TLS 1.0 only)".
    public var name: String
    /// `curl`, `openssl`, `python`, `java`, `node`, `gnutls`, `go`, `perl`, `browser`, `wget`, `tlslite`.
    public var family: String
    public var clientVersion: String
    /// The TLS library the client used (OpenSSL, GnuTLS, JSSE, crypto/tls, BoringSSL, NSS, tlslite-ng).
    public var library: String
    public var libraryVersion: String
    /// "default", or the legacy setting the capture used (e.g. "TLS 1.0 only (-tls1)").
    public var configuration: String
    /// The command the capture ran; `{port}` is the capture listener's port.
    public var command: String
    /// What the client's version command printed.
    public var versionOutput: String
    /// `YYYY-MM-DD`.
    public var captureDate: String
    public var provenance: String
    /// The User-Agent the client sends by default, where it is an HTTP client and sends one.
    public var userAgent: String?
    public var ja3: String
    public var ja4: String
    /// The TLS records (or SSL 2.0 record) that carried the hello, exactly as received.
    public var recordBytes: [UInt8]
    /// The hello parsed from `recordBytes`, with its record framing.
    public var flight: ClientHelloFlight

    public var hello: ClientHello { flight.hello }
    public var recordHex: String { recordBytes.hexString }

    /// Parses `recordBytes` as a client's first flight; the records must hold the hello and nothing else.
    public static func parseFlight(_ bytes: [UInt8]) throws -> ClientHelloFlight {
        var reader = ClientHelloReader(maxFlightBytes: 64 * 1024)
        reader.feed(bytes: bytes)
        guard let flight = try reader.read() else {
            throw ClientProfileError(profile: nil, problem: "the records end before the ClientHello does (\(bytes.count) bytes)")
        }
        guard flight.wireLength == bytes.count else {
            throw ClientProfileError(profile: nil, problem: "\(bytes.count - flight.wireLength) bytes follow the ClientHello's records")
        }
        return flight
    }
}

extension ClientProfile: Codable {
    enum CodingKeys: String, CodingKey {
        case id, name, family, clientVersion, library, libraryVersion, configuration, command, versionOutput,
             captureDate, provenance, userAgent, ja3, ja4, recordHex
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        family = try c.decode(String.self, forKey: .family)
        clientVersion = try c.decode(String.self, forKey: .clientVersion)
        library = try c.decode(String.self, forKey: .library)
        libraryVersion = try c.decode(String.self, forKey: .libraryVersion)
        configuration = try c.decode(String.self, forKey: .configuration)
        command = try c.decode(String.self, forKey: .command)
        versionOutput = try c.decode(String.self, forKey: .versionOutput)
        captureDate = try c.decode(String.self, forKey: .captureDate)
        provenance = try c.decode(String.self, forKey: .provenance)
        userAgent = try c.decodeIfPresent(String.self, forKey: .userAgent)
        ja3 = try c.decode(String.self, forKey: .ja3)
        ja4 = try c.decode(String.self, forKey: .ja4)
        let hex = try c.decode(String.self, forKey: .recordHex)
        guard let bytes = [UInt8](hexString: hex) else {
            throw ClientProfileError(profile: id, problem: "recordHex is not hex")
        }
        recordBytes = bytes
        do { flight = try Self.parseFlight(bytes) } catch let error as ClientProfileError {
            throw ClientProfileError(profile: id, problem: error.problem)
        } catch {
            throw ClientProfileError(profile: id, problem: "the hello does not parse: \(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(family, forKey: .family)
        try c.encode(clientVersion, forKey: .clientVersion)
        try c.encode(library, forKey: .library)
        try c.encode(libraryVersion, forKey: .libraryVersion)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(command, forKey: .command)
        try c.encode(versionOutput, forKey: .versionOutput)
        try c.encode(captureDate, forKey: .captureDate)
        try c.encode(provenance, forKey: .provenance)
        try c.encodeIfPresent(userAgent, forKey: .userAgent)
        try c.encode(ja3, forKey: .ja3)
        try c.encode(ja4, forKey: .ja4)
        try c.encode(recordHex, forKey: .recordHex)
    }
}

/// A client profile table or entry that cannot be used: names the profile and the problem.
public struct ClientProfileError: Error, CustomStringConvertible, Sendable {
    public var profile: String?
    public var problem: String
    public var description: String { "client profile\(profile.map { " '\($0)'" } ?? "s"): \(problem)" }
}
