import Foundation

/// The scan report as the documented JSON (docs/report-schema.json), verdicts included (JudgedScan).
enum JSONRenderer {
    static func render(_ scan: JudgedScan) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(scan), as: UTF8.self) + "\n"
    }
}
