import TLSReport
import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// What to check a chain against.
public struct CertificateCheckOptions: Sendable {
    /// The name asked for (SNI); nil when none.
    public var hostname: String?
    /// The address asked for, when the target is an IP literal.
    public var ipAddress: String?
    /// The time validity is judged at.
    public var now: Date
    /// Roots trusted in addition to the system store (from `--ca-file`).
    public var extraRoots: [Certificate]
    /// Whether the system trust store is consulted.
    public var useSystemRoots: Bool

    /// Creates options; by default the system store, no extra roots, the current time and no name.
    public init(
        hostname: String? = nil,
        ipAddress: String? = nil,
        now: Date = Date(),
        extraRoots: [Certificate] = [],
        useSystemRoots: Bool = true
    ) {
        self.hostname = hostname
        self.ipAddress = ipAddress
        self.now = now
        self.extraRoots = extraRoots
        self.useSystemRoots = useSystemRoots
    }
}

/// Why a `--ca-file` could not be used; `description` is one line naming the file and the problem.
public struct CAFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The file does not exist, is a directory, or cannot be read.
        public static let unreadable = Code(name: "unreadable")
        /// The file holds no PEM CERTIFICATE block.
        public static let noCertificates = Code(name: "noCertificates")
        /// The PEM framing or base64 is broken.
        public static let invalidPEM = Code(name: "invalidPEM")
        /// A CERTIFICATE block does not hold a certificate swift-certificates can load.
        public static let invalidCertificate = Code(name: "invalidCertificate")
        /// The name of the code.
        public var description: String { name }
    }

    /// The kind of problem.
    public var code: Code
    /// The path as given.
    public var path: String
    /// What is wrong, one line.
    public var detail: String

    /// `CA file '<path>': <detail>`.
    public var description: String { "CA file '\(path)': \(detail)" }
}
