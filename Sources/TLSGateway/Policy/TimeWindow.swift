import Foundation

/// A time window `[start, end)` in which legacy clients are refused (a brownout).
public struct TimeWindow: Sendable, Hashable {
    public var start: Date
    public var end: Date
    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }
    public func contains(_ date: Date) -> Bool { date >= start && date < end }
}
