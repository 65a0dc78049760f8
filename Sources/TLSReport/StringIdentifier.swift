/// An open set of names, like the registries' code points: a struct around a string, written as
/// a literal (`"heartbleed"`), compared by value, printed and encoded as the bare string (the
/// standard library's `Codable` for a `RawRepresentable` with a `String` raw value).
public protocol StringIdentifier: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible where RawValue == String {
    init(rawValue: String)
}

extension StringIdentifier {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
}
