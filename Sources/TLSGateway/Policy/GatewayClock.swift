import Foundation

/// Where the gateway gets "now": the system clock in production, a settable one in tests, so a
/// brownout window or a cutoff can be crossed without waiting.
public struct GatewayClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) { self.read = read }

    public func now() -> Date { read() }

    /// The system clock.
    public static let system = GatewayClock { Date() }
}
