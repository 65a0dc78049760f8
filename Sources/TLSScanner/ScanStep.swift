import NIOConcurrencyHelpers

/// The check a connection is made for. Task-local, so child tasks (`async let`, task groups)
/// inherit it: `ProbeSession.during(_:_:)` sets it around a check, and every connection the check
/// opens, by whichever path (probe, our TLS clients, swift-nio-ssl), is counted under it
/// (`TargetReport.connectionsByCheck`; docs/benchmarks.md lists the costs).
enum ScanStep: String, Sendable {
    case connectivity, versions, groups, dhParameters, features, ccsInjection, fallbackSCSV, downgradeSentinel
    case compression, tls12Client, tls13Client, robot, certificates, http, clientRenegotiation, other

    @TaskLocal static var current: ScanStep = .other
}

/// Connections per check, counted once per connection attempt.
struct ConnectionCounter: Sendable {
    private let counts = NIOLockedValueBox([ScanStep: Int]())

    func count() { counts.withLockedValue { $0[ScanStep.current, default: 0] += 1 } }
    var total: Int { counts.withLockedValue { $0.values.reduce(0, +) } }
    var byCheck: [String: Int] { counts.withLockedValue { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) } }
}

extension ProbeSession {
    /// Runs `body` with its connections counted under `step`.
    func during<T: Sendable>(_ step: ScanStep, _ body: () async -> T) async -> T {
        await ScanStep.$current.withValue(step) { await body() }
    }
}
