import TLSWire

/// What `scripts/client-capture/capture.py` writes: the captured first flights and how each client
/// was run, without fingerprints (TLSWire computes those here, so the table's JA3/JA4 are ours).
package struct ClientCaptureRun: Decodable, Sendable {
    package struct Capture: Decodable, Sendable {
        var id: String
        var name: String
        var family: String
        var clientVersion: String
        var library: String
        var libraryVersion: String
        var configuration: String
        var command: String
        var versionOutput: String
        var captureDate: String
        var provenance: String
        var recordHex: String
        var userAgent: String?
    }

    package var captureDate: String
    package var hostName: String
    package var profiles: [Capture]
}

/// The outcome of writing a capture run into the table: the new table and what changed.
package struct ClientProfileMerge: Sendable {
    package var set: ClientProfileSet
    package var added: [String] = []
    package var changed: [String] = []
    package var unchanged: [String] = []
    /// Stored profiles this run did not capture, kept as they were.
    package var kept: [String] = []
    /// Stored profiles this run did not capture, dropped (`prune`).
    package var removed: [String] = []
}

extension ClientProfile {
    /// A profile from a capture: the records parsed by TLSWire and fingerprinted by `ClientFingerprint`.
    package init(capture c: ClientCaptureRun.Capture) throws {
        guard let bytes = [UInt8](hexString: c.recordHex) else {
            throw ClientProfileError(profile: c.id, problem: "recordHex is not hex")
        }
        let flight: ClientHelloFlight
        do { flight = try Self.parseFlight(bytes) } catch {
            throw ClientProfileError(profile: c.id, problem: "the captured hello does not parse: \(error)")
        }
        let fingerprint = ClientFingerprint(flight.hello)
        self.init(id: c.id, name: c.name, family: c.family, clientVersion: c.clientVersion, library: c.library,
                  libraryVersion: c.libraryVersion, configuration: c.configuration, command: c.command,
                  versionOutput: c.versionOutput, captureDate: c.captureDate, provenance: c.provenance,
                  userAgent: c.userAgent, ja3: fingerprint.ja3, ja4: fingerprint.ja4, recordBytes: bytes, flight: flight)
    }

    /// Whether two captures are the same client sending the same hello: the same description and
    /// the same hello once what differs per connection is blanked (TLSWire's `distinctBytes`), with
    /// extensions compared in sorted order, GREASE values inside the group, version and signature
    /// lists and GREASE extensions' bodies blanked, and the ECH GREASE payload blanked: Chromium
    /// shuffles its extensions, picks new GREASE values and sizes its GREASE ECH at random on every
    /// connection (RFC 8701 §3).
    package func isSameCapture(as other: ClientProfile) -> Bool {
        name == other.name && family == other.family && clientVersion == other.clientVersion && library == other.library
            && libraryVersion == other.libraryVersion && configuration == other.configuration && command == other.command
            && userAgent == other.userAgent && provenance == other.provenance
            && Self.comparableBytes(flight) == Self.comparableBytes(other.flight)
    }

    static func comparableBytes(_ flight: ClientHelloFlight) -> [UInt8] {
        var hello = flight.hello
        let ech = ExtensionType(0xFE0D)  // encrypted_client_hello (draft-ietf-tls-esni)
        // List extensions whose uint16 values may be GREASE, with the length of their list's prefix.
        let lists: [UInt16: Int] = [0x000A: 2, 0x000D: 2, 0x002B: 1]
        for i in hello.extensions.indices {
            let type = hello.extensions[i].type
            if type == ech || type.isGREASE {
                hello.extensions[i].data = []
                if type.isGREASE { hello.extensions[i].type = ExtensionType(0x0A0A) }
            } else if let prefix = lists[type.rawValue] {
                var data = hello.extensions[i].data
                var j = prefix
                while j + 1 < data.count {
                    if isGREASEValue(UInt16(data[j]) << 8 | UInt16(data[j + 1])) { (data[j], data[j + 1]) = (0x0A, 0x0A) }
                    j += 2
                }
                hello.extensions[i].data = data
            }
        }
        hello.extensions.sort { $0.type.rawValue < $1.type.rawValue }
        return hello.distinctBytes(recordVersion: flight.recordVersion)
    }
}

extension ClientProfileSet {
    /// The order of families in the file (then ids).
    static let familyOrder = ["curl", "wget", "openssl", "gnutls", "python", "java", "node", "go", "perl", "tlslite", "browser"]

    /// Writes a capture run into `existing`: a profile whose capture did not change keeps its stored
    /// record and date (so re-running changes nothing when the clients did not), a changed or new one
    /// takes the capture; stored profiles the run did not capture are kept unless `prune`. The version
    /// becomes the run's date when anything changed.
    package static func merge(_ run: ClientCaptureRun, into existing: ClientProfileSet?, prune: Bool) throws -> ClientProfileMerge {
        let old = existing ?? ClientProfileSet(version: "", hostName: run.hostName)
        var result = ClientProfileMerge(set: ClientProfileSet(version: old.version, hostName: run.hostName))
        var profiles: [ClientProfile] = []
        var captured = Set<String>()
        for capture in run.profiles {
            guard captured.insert(capture.id).inserted else {
                throw ClientProfileError(profile: capture.id, problem: "captured twice in one run")
            }
            let new = try ClientProfile(capture: capture)
            if let stored = old.profile(id: new.id) {
                if stored.isSameCapture(as: new) {
                    profiles.append(stored)
                    result.unchanged.append(new.id)
                } else {
                    profiles.append(new)
                    result.changed.append(new.id)
                }
            } else {
                profiles.append(new)
                result.added.append(new.id)
            }
        }
        for stored in old.profiles where !captured.contains(stored.id) {
            if prune { result.removed.append(stored.id) } else {
                profiles.append(stored)
                result.kept.append(stored.id)
            }
        }
        func rank(_ p: ClientProfile) -> Int { familyOrder.firstIndex(of: p.family) ?? familyOrder.count }
        profiles.sort { (rank($0), $0.id) < (rank($1), $1.id) }
        result.set.profiles = profiles
        let anyChange = !result.added.isEmpty || !result.changed.isEmpty || !result.removed.isEmpty
            || old.hostName != run.hostName
        if anyChange || old.version.isEmpty {
            result.set.version = nextVersion(after: old.version, on: run.captureDate)
        }
        return result
    }

    /// `date`, or `date.N` when `previous` is already that date (or `date.N-1`).
    static func nextVersion(after previous: String, on date: String) -> String {
        guard previous == date || previous.hasPrefix(date + ".") else { return date }
        let n = previous == date ? 1 : (Int(previous.dropFirst(date.count + 1)) ?? 1)
        return "\(date).\(n + 1)"
    }
}
