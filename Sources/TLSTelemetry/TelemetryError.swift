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
        /// A PostgreSQL URL that does not parse (`detail` names the part).
        public static let invalidURL = Code(name: "invalidURL")
        /// No database connection could be had in time (the database is down or unreachable).
        public static let unavailable = Code(name: "unavailable")
        /// The store was closed.
        public static let closed = Code(name: "closed")
        /// A query (a read, a migration, a partition change) failed.
        public static let queryFailed = Code(name: "queryFailed")
    }

    public var code: Code
    /// The database file, or the database's URL without its password.
    public var path: String
    public var detail: String

    public init(_ code: Code, path: String, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String {
        let what = switch code {
        case .cannotOpen: "cannot open the record database"
        case .invalidURL: "not a usable PostgreSQL URL"
        case .unavailable: "the record database is unavailable"
        case .closed: "the record store is closed"
        case .queryFailed: "a query failed"
        default: "cannot write records"
        }
        return "\(path): \(what): \(detail)"
    }
}
