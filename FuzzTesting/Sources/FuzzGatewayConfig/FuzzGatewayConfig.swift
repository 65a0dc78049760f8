import Foundation
import TLSGateway

/// A directory with an empty `chain.pem` and `key.pem`, so a configuration naming them (as the
/// seeds do) gets past the certificate check and on to the policy and exception sections. The
/// reader only checks that they can be read.
private let baseDirectory: String = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tlsguard-fuzz-config-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for name in ["chain.pem", "key.pem"] {
        FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data())
    }
    return dir.path
}()

// The gateway's YAML configuration reader: any text must give a configuration or a
// GatewayConfigError, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGatewayConfig(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    _ = try? GatewayConfiguration.parse(yaml: text, file: "fuzz.yaml", baseDirectory: baseDirectory)
    return 0
}
