/// A configuration that cannot be used: which file, which setting, what is wrong with it.
///
/// `description` is the one line `tlsguard gateway` prints before exiting with status 64.
public struct GatewayConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The config file (or `<inline>` for a configuration built in code).
    public var file: String
    /// Dotted path of the setting, e.g. `policy.hosts.api.example.com.cutoff`; empty for the whole file.
    public var key: String
    public var problem: String

    public init(file: String, key: String = "", problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)"
    }
}
