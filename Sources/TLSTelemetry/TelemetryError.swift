/// A failure of the record store: which database, what went wrong.
public struct TelemetryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The database could not be opened, created or migrated.
        public static let cannotOpen = Code(name: "cannotOpen")
        /// A batch could not be written.
        public static let writeFailed = Code(name: "writeFailed")
    }

    public var code: Code
    public var path: String
    public var detail: String

    public init(_ code: Code, path: String, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String { "\(path): \(code == .cannotOpen ? "cannot open the record database" : "cannot write records"): \(detail)" }
}
