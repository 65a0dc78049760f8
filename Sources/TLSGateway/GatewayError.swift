import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure of the running gateway (as opposed to its configuration): what and where.
public struct GatewayError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }

    /// A listener could not bind, e.g. the address is in use.
    static func cannotListen(_ name: String, host: String, port: Int, _ error: Error) -> GatewayError {
        let reason: String
        if let io = error as? IOError {
            reason = String(cString: strerror(io.errnoCode))
        } else {
            reason = "\(error)"
        }
        return GatewayError("cannot listen on \(host):\(port) (\(name)): \(reason)")
    }
}
