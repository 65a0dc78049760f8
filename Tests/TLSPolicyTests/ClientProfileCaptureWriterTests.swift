import Foundation
import Testing
@testable import TLSPolicy

/// The step of scripts/capture-client-hellos that turns its captures into clients.json: TLSWire
/// parses every hello and computes its JA3/JA4. Runs only when the script sets its variables.
@Suite("ClientProfileCaptureWriter")
struct ClientProfileCaptureWriterTests {
    static let environment = ProcessInfo.processInfo.environment

    @Test("write the captured profiles into clients.json",
          .enabled(if: environment["TLSGUARD_CAPTURE_STAGING"] != nil && environment["TLSGUARD_CAPTURE_OUTPUT"] != nil))
    func writeCapturedProfiles() throws {
        let staging = try #require(Self.environment["TLSGUARD_CAPTURE_STAGING"])
        let output = try #require(Self.environment["TLSGUARD_CAPTURE_OUTPUT"])
        let prune = Self.environment["TLSGUARD_CAPTURE_PRUNE"] == "1" && Self.environment["TLSGUARD_CAPTURE_PARTIAL"] != "1"
        let run = try JSONDecoder().decode(ClientCaptureRun.self, from: Data(contentsOf: URL(fileURLWithPath: staging)))
        let existing: ClientProfileSet? = FileManager.default.fileExists(atPath: output)
            ? try ClientProfileSet.decode(Data(contentsOf: URL(fileURLWithPath: output))) : nil
        let merge = try ClientProfileSet.merge(run, into: existing, prune: prune)
        // What was written must read back to the same table.
        let data = try merge.set.encoded()
        #expect(try ClientProfileSet.decode(data) == merge.set)
        try data.write(to: URL(fileURLWithPath: output))
        for (label, ids) in [("added", merge.added), ("changed", merge.changed), ("unchanged", merge.unchanged),
                             ("kept (not captured this run)", merge.kept), ("removed", merge.removed)] where !ids.isEmpty {
            print("capture: \(label): \(ids.joined(separator: ", "))")
        }
        print("capture: version \(merge.set.version), \(merge.set.profiles.count) profiles")
    }
}
