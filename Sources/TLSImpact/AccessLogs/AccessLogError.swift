/// Why an access log cannot be read at all: the file, or the format it was written with. A line
/// that does not parse is not an error (it is counted in `AccessLogSummary` and skipped).
public struct AccessLogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure: an open struct, as the registries are.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The file does not exist, is not a regular file, or cannot be opened.
        public static let unreadableFile = Code(rawValue: "unreadable-file")
        /// The file is gzip-compressed (a rotated log): decompress it first.
        public static let compressedFile = Code(rawValue: "compressed-file")
        /// The log format cannot be matched against lines (or lacks a time field).
        public static let unusableFormat = Code(rawValue: "unusable-format")
        /// No file was given.
        public static let noFiles = Code(rawValue: "no-files")
        public var description: String { rawValue }
    }

    /// What kind of failure.
    public var code: Code
    /// The file concerned (nil for a format error).
    public var path: String?
    /// One sentence: what is wrong and what to do.
    public var detail: String

    /// An error about `path` (nil: about the format).
    public init(code: Code, path: String?, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    /// One line, naming the file (or the format) first.
    public var description: String {
        if let path { return "\(path): \(detail)" }
        return detail
    }
}
