import TLSWire

/// What to change on a client so that it connects with TLS 1.2 or newer, per client family: the
/// fix `tlsguard impact` prints beside each group of clients, and the gateway's upgrade sentence.
///
/// Facts about each client's settings, in our words. TLS 1.0 and 1.1 are deprecated by RFC 8996;
/// TLS 1.2 is RFC 5246, TLS 1.3 RFC 8446.
public enum ClientRemediation {
    /// The sentence a legacy client gets from the gateway (warn headers, explain answer, client check).
    public static func upgradeSentence(minimumVersion: ProtocolVersion) -> String {
        "Upgrade the client's TLS stack so it offers \(minimumVersion.displayName) or newer "
            + "(for example .NET Framework 4.6.2+ or set SecurityProtocol to Tls12, Java 8+, OpenSSL 1.0.1+, "
            + "curl 7.34+, Python 3.4+ linked to OpenSSL 1.0.1+), then retry."
    }

    /// Which advice applies: a family, or a narrower kind inside one (Java 7, PowerShell 5.1, IE).
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let curl = Kind(rawValue: "curl")
        public static let openssl = Kind(rawValue: "openssl")
        public static let python = Kind(rawValue: "python")
        public static let java = Kind(rawValue: "java")
        public static let java7 = Kind(rawValue: "java7")
        public static let java6 = Kind(rawValue: "java6")
        public static let okhttp = Kind(rawValue: "okhttp")
        public static let dotnet = Kind(rawValue: "dotnet")
        public static let powershell5 = Kind(rawValue: "powershell5")
        public static let windows = Kind(rawValue: "windows")
        public static let node = Kind(rawValue: "node")
        public static let go = Kind(rawValue: "go")
        public static let gnutls = Kind(rawValue: "gnutls")
        public static let perl = Kind(rawValue: "perl")
        public static let wget = Kind(rawValue: "wget")
        public static let tlslite = Kind(rawValue: "tlslite")
        public static let browser = Kind(rawValue: "browser")
        public static let internetExplorer = Kind(rawValue: "ie")
        public static let android = Kind(rawValue: "android")
        public static let apple = Kind(rawValue: "apple")
    }

    /// The fix for a kind (nil for an unknown one).
    public static func fix(_ kind: Kind) -> String? { fixes[kind] }

    /// The fix for a profile family (`ClientProfile.family`).
    public static func fix(family: String) -> String? { fixes[Kind(rawValue: family)] }

    static let fixes: [Kind: String] = [
        .curl: "Use curl 7.34 or later built with a TLS library that has TLS 1.2 (OpenSSL 1.0.1+): drop --tlsv1.0, "
            + "--tls-max 1.0 or 1.1 (and the same in .curlrc), or pass --tlsv1.2 to refuse anything older.",
        .openssl: "OpenSSL 1.0.1 and later offer TLS 1.2: drop -tls1 / -tls1_1 and any MaxProtocol below TLSv1.2. "
            + Remediation.openSSLMinimumProtocol,
        .python: "Use a Python linked to OpenSSL 1.0.1 or later (Python 2.7.9+ or 3.4+; ssl.OPENSSL_VERSION tells): "
            + "ssl.create_default_context() then offers TLS 1.2; remove PROTOCOL_TLSv1 / PROTOCOL_TLSv1_1 and any "
            + "maximum_version below TLSVersion.TLSv1_2, or set minimum_version = ssl.TLSVersion.TLSv1_2.",
        .java: "Java 8 and later offer TLS 1.2 by default: remove TLSv1 / TLSv1.1 from jdk.tls.client.protocols, "
            + "https.protocols and any java.security override. " + Remediation.javaClientProtocols,
        .java7: "Java 7 has TLS 1.2 but its clients do not offer it unless asked: -Dhttps.protocols=TLSv1.2 for "
            + "HttpsURLConnection, SSLContext.getInstance(\"TLSv1.2\") in code; better, move to Java 8 or later.",
        .java6: "Java 6's public updates have no TLS 1.2: move the application to Java 8 or later.",
        .okhttp: "OkHttp 3.13 and later need Android 5.0+ or Java 8+, where TLS 1.2 is on; keep the default "
            + "ConnectionSpec (MODERN_TLS) instead of one that lists only TLS 1.0 or 1.1.",
        .dotnet: Remediation.dotnetTargetFramework + " " + Remediation.dotnetStrongCrypto,
        .powershell5: "Windows PowerShell 5.1 runs on .NET Framework, which offers only SSL 3.0 and TLS 1.0 by default: "
            + "run [Net.ServicePointManager]::SecurityProtocol = 'Tls12' before Invoke-WebRequest / Invoke-RestMethod, "
            + "or set SchUseStrongCrypto for every .NET Framework program (" + Remediation.dotnetStrongCrypto
            + "), or use PowerShell 7.",
        .windows: "Windows 8 / Server 2012 and later offer TLS 1.2 by default; on Windows 7 / Server 2008 R2 install "
            + "current updates (KB3140245 for WinHTTP) and set DefaultSecureProtocols=0xA00 under "
            + #"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp."#,
        .node: "Node.js 4 and later offer TLS 1.2 by default (12 and later also TLS 1.3): remove maxVersion / "
            + "secureProtocol 'TLSv1_method' and --tls-max-v1.0 / --tls-max-v1.1; minVersion: 'TLSv1.2' refuses older.",
        .go: "crypto/tls offers TLS 1.2 and 1.3 by default: remove MaxVersion tls.VersionTLS10 / VersionTLS11 from "
            + "tls.Config (Go 1.18+ clients refuse anything older unless MinVersion lowers it).",
        .gnutls: "GnuTLS 3 offers TLS 1.2 in its NORMAL priority: remove -VERS-ALL:+VERS-TLS1.0 / +VERS-TLS1.1 "
            + "style priority strings (and such overrides in the system-wide GnuTLS configuration).",
        .perl: "IO::Socket::SSL offers what its OpenSSL has (TLS 1.2 with OpenSSL 1.0.1+): drop SSL_version => 'TLSv1' "
            + "or 'TLSv1_1'; SSL_version => 'SSLv23:!SSLv3:!TLSv1:!TLSv1_1' refuses anything older than TLS 1.2.",
        .wget: "Wget offers what its GnuTLS or OpenSSL has: drop --secure-protocol=TLSv1 / TLSv1_1 (and "
            + "secureprotocol in .wgetrc), or pass --secure-protocol=TLSv1_2.",
        .tlslite: "tlslite-ng offers TLS 1.2 and 1.3 by default: remove a HandshakeSettings.maxVersion of (3, 1) or "
            + "(3, 2); minVersion = (3, 3) refuses anything older.",
        .browser: "Update the browser: every current Chrome, Edge, Firefox and Safari offers TLS 1.2 and 1.3 "
            + "(Firefox 27+, Safari 7+ and Internet Explorer 11 were the first of their lines with TLS 1.2 on by default).",
        .internetExplorer: "Replace Internet Explorer with a current browser. Internet Explorer 8 to 10 on Windows 7 "
            + "can use TLS 1.2 only with 'Use TLS 1.2' ticked in Internet Options > Advanced; on Windows XP it cannot.",
        .android: "Android 5.0 (API 21) and later enable TLS 1.2 by default; on Android 4.1 to 4.4 the app must enable "
            + "it on its SSLSocket (setEnabledProtocols) or update the security provider (Google Play services "
            + "ProviderInstaller); update the device where it can be updated.",
        .apple: "iOS 5+ and OS X 10.9+ offer TLS 1.2 (App Transport Security requires it since iOS 9): update the OS "
            + "and the app, and remove NSExceptionMinimumTLSVersion TLSv1.0 / TLSv1.1 from the app's Info.plist.",
    ]
}
