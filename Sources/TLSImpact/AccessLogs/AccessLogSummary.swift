/// What one read of the access logs saw besides the observations: how many lines, and which could
/// not be used. Bad lines are skipped, never fatal.
public struct AccessLogSummary: Sendable, Hashable {
    /// Non-empty lines read, in every file.
    public var lines = 0
    /// Lines inside the window that were counted in an observation.
    public var counted = 0
    /// Lines whose time is outside the window.
    public var outsideWindow = 0
    /// Lines of requests that did not come over TLS (the format has a version field and it is empty).
    public var withoutTLS = 0
    /// HAProxy's connection-error lines in the window (`127.0.0.1:53696 [03/Dec/2026:17:08:52.279]
    /// fe/1: SSL handshake failure`): connections that failed before a request, logged in HAProxy's
    /// own format rather than the log-format; they carry no version and are not observations.
    public var connectionErrors = 0
    /// Lines that did not match the format, or whose time could not be read.
    public var unparsable = 0
    /// The first few unparsable lines, by file and line number.
    public var firstProblems: [AccessLogProblem] = []

    /// How many unparsable lines `firstProblems` keeps.
    public static let problemsKept = 10

    /// Nothing read yet.
    public init() {}

    mutating func merge(_ other: AccessLogSummary) {
        lines += other.lines
        counted += other.counted
        outsideWindow += other.outsideWindow
        withoutTLS += other.withoutTLS
        connectionErrors += other.connectionErrors
        unparsable += other.unparsable
        firstProblems = Array((firstProblems + other.firstProblems).sorted().prefix(Self.problemsKept))
    }
}

/// One line that could not be used: where it is, why, and the start of its text.
public struct AccessLogProblem: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file, as given to the source.
    public var path: String
    /// 1-based.
    public var line: Int
    /// Why it was left out: `does not match the log format`, `cannot read the time "…"`, `no time`.
    public var reason: String
    /// The line's first 160 characters.
    public var excerpt: String
    /// The file's position in the source's `paths`: problems sort in the order the files were given.
    var fileIndex = 0

    /// A problem at `path:line`.
    public init(path: String, line: Int, reason: String, excerpt: String) {
        self.path = path
        self.line = line
        self.reason = reason
        self.excerpt = excerpt
    }

    public static func < (l: AccessLogProblem, r: AccessLogProblem) -> Bool {
        (l.fileIndex, l.line) < (r.fileIndex, r.line)
    }

    /// `access.log:17: does not match the log format: 127.0.0.1 - …`
    public var description: String { "\(path):\(line): \(reason): \(excerpt)" }
}
