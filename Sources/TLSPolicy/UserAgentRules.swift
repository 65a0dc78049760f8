import Foundation

/// Names a client from its User-Agent alone: the last resort of `ClientProfileSet.identify`, and
/// the only way to name clients this machine cannot run (Java 6/7/8, .NET Framework, Windows
/// PowerShell 5.1, old Android and iOS, Internet Explorer). docs/client-profiles.md lists the rules.
///
/// Product tokens are read by hand (RFC 9110 §10.1.5: `product/version`, separated by spaces or
/// comments); the first rule that matches wins, so narrower products come before the browsers whose
/// tokens they also carry.
enum UserAgentRules {
    struct Rule: Sendable {
        var name: String
        var family: String
        var kind: ClientRemediation.Kind
    }

    static func identify(_ userAgent: String) -> Rule? {
        let ua = userAgent.trimmingCharacters(in: .whitespaces)
        guard !ua.isEmpty else { return nil }
        // .NET Framework's PowerShell: its UA also starts "Mozilla/5.0 (Windows NT …".
        if let v = version(of: "WindowsPowerShell", in: ua) {
            return Rule(name: "Windows PowerShell \(short(v, 2)) (.NET Framework)", family: "dotnet", kind: .powershell5)
        }
        if let v = version(of: "PowerShell", in: ua) {
            return Rule(name: "PowerShell \(short(v, 2)) (.NET)", family: "dotnet", kind: .dotnet)
        }
        if let v = version(of: "Microsoft-CryptoAPI", in: ua) {
            return Rule(name: "Windows CryptoAPI \(v) (certificate, CRL and OCSP fetches)", family: "windows", kind: .windows)
        }
        if let v = version(of: "Microsoft-WNS", in: ua) ?? version(of: "WinHttp", in: ua) ?? version(of: "WinHttp-Autoproxy-Service", in: ua) {
            return Rule(name: "Windows WinHTTP \(v)", family: "windows", kind: .windows)
        }
        if version(of: "Dalvik", in: ua) != nil {
            let android = androidVersion(ua).map { " \($0)" } ?? ""
            return Rule(name: "Android\(android) (HttpURLConnection)", family: "android", kind: .android)
        }
        if let v = version(of: "okhttp", in: ua) {
            return Rule(name: "OkHttp \(short(v, 2)) (Android or JVM)", family: "java", kind: .okhttp)
        }
        if let v = version(of: "Apache-HttpClient", in: ua) {
            return Rule(name: "Apache HttpClient \(short(v, 2)) (Java)", family: "java", kind: .java)
        }
        if let v = version(of: "Java-http-client", in: ua) {
            return Rule(name: "Java \(javaMajor(v)) (HttpClient)", family: "java", kind: .java)
        }
        if let v = version(of: "Java", in: ua) {
            // HttpURLConnection's default: Java/1.8.0_151 (Java 8 and older), Java/17.0.15 (9 and later).
            let major = javaMajor(v)
            let kind: ClientRemediation.Kind = (Int(major) ?? 8) <= 6 ? .java6 : (major == "7" ? .java7 : .java)
            return Rule(name: "Java \(major) (HttpURLConnection)", family: "java", kind: kind)
        }
        if let v = version(of: "Go-http-client", in: ua) {
            return Rule(name: "Go (net/http, Go-http-client/\(v))", family: "go", kind: .go)
        }
        if let v = version(of: "axios", in: ua) {
            return Rule(name: "axios \(short(v, 2)) (Node.js)", family: "node", kind: .node)
        }
        if let v = version(of: "node-fetch", in: ua) {
            return Rule(name: "node-fetch \(short(v, 2)) (Node.js)", family: "node", kind: .node)
        }
        if ua == "node" || ua == "undici" || version(of: "undici", in: ua) != nil || version(of: "node", in: ua) != nil {
            return Rule(name: "Node.js (fetch / undici)", family: "node", kind: .node)
        }
        if let v = version(of: "python-requests", in: ua) {
            return Rule(name: "python-requests \(short(v, 2))", family: "python", kind: .python)
        }
        if let v = version(of: "python-httpx", in: ua) {
            return Rule(name: "HTTPX \(short(v, 2)) (Python)", family: "python", kind: .python)
        }
        if let v = version(of: "aiohttp", in: ua) {
            let python = version(of: "Python", in: ua).map { " \(short($0, 2))" } ?? ""
            return Rule(name: "aiohttp \(short(v, 2)) (Python\(python))", family: "python", kind: .python)
        }
        if let v = version(of: "Python-urllib", in: ua) {
            return Rule(name: "Python \(short(v, 2)) (urllib)", family: "python", kind: .python)
        }
        if let v = version(of: "curl", in: ua) {
            return Rule(name: "curl \(short(v, 2))", family: "curl", kind: .curl)
        }
        if let v = version(of: "Wget", in: ua) {
            return Rule(name: "Wget \(short(v, 2))", family: "wget", kind: .wget)
        }
        if let v = version(of: "libwww-perl", in: ua) {
            return Rule(name: "libwww-perl \(short(v, 2)) (Perl)", family: "perl", kind: .perl)
        }
        if let v = version(of: "HTTP-Tiny", in: ua) {
            return Rule(name: "HTTP::Tiny \(short(v, 2)) (Perl)", family: "perl", kind: .perl)
        }
        if version(of: "CFNetwork", in: ua) != nil {
            return Rule(name: "Apple CFNetwork app\(appleOS(ua).map { " (\($0))" } ?? "")", family: "apple", kind: .apple)
        }
        return browser(ua)
    }

    /// Browsers by their own token; the OS in parentheses where the UA names it.
    static func browser(_ ua: String) -> Rule? {
        let osName = operatingSystem(ua)
        let os = osName.map { " (\($0))" } ?? ""
        if let v = msieVersion(ua) {
            return Rule(name: "Internet Explorer \(v)\(os)", family: "browser", kind: .internetExplorer)
        }
        for token in ["Edg", "EdgA", "EdgiOS"] {
            if let v = version(of: token, in: ua) { return Rule(name: "Edge \(short(v, 1))\(os)", family: "browser", kind: .browser) }
        }
        if let v = version(of: "Edge", in: ua) {
            return Rule(name: "Edge \(short(v, 1)) (EdgeHTML\(osName.map { ", \($0)" } ?? ""))", family: "browser", kind: .browser)
        }
        if let v = version(of: "OPR", in: ua) {
            return Rule(name: "Opera \(short(v, 1))\(os)", family: "browser", kind: .browser)
        }
        if let v = version(of: "Firefox", in: ua) ?? version(of: "FxiOS", in: ua) {
            return Rule(name: "Firefox \(short(v, 1))\(os)", family: "browser", kind: .browser)
        }
        if let v = version(of: "CriOS", in: ua) ?? version(of: "HeadlessChrome", in: ua) ?? version(of: "Chrome", in: ua)
            ?? version(of: "Chromium", in: ua)
        {
            return Rule(name: "Chrome \(short(v, 1))\(os)", family: "browser", kind: .browser)
        }
        if version(of: "Safari", in: ua) != nil, let v = version(of: "Version", in: ua) {
            // The pre-Chrome Android browser says Version/4.0 … Mobile Safari, with the Android version.
            if let android = androidVersion(ua) {
                return Rule(name: "Android browser (Android \(android))", family: "android", kind: .android)
            }
            return Rule(name: "Safari \(short(v, 2))\(os)", family: "browser", kind: .browser)
        }
        return nil
    }

    /// The version after `product/` where `product` starts the UA or follows a space, `(` or `;`.
    static func version(of product: String, in ua: String) -> String? {
        let chars = Array(ua)
        let needle = Array(product.lowercased() + "/")
        let lower = Array(ua.lowercased())
        guard lower.count == chars.count, needle.count <= lower.count else { return nil }
        var i = 0
        while i + needle.count <= lower.count {
            if Array(lower[i..<(i + needle.count)]) == needle, i == 0 || " (;,".contains(lower[i - 1]) {
                var j = i + needle.count
                var v = ""
                while j < chars.count, chars[j].isNumber || chars[j] == "." || chars[j] == "_" {
                    v.append(chars[j])
                    j += 1
                }
                if let first = v.first, first.isNumber { return v }
            }
            i += 1
        }
        return nil
    }

    /// The first `parts` dot-separated parts ("7.88.1", 2 → "7.88").
    static func short(_ version: String, _ parts: Int) -> String {
        version.split(separator: ".").prefix(parts).joined(separator: ".")
    }

    /// 1.8.0_151 → 8, 1.7.0 → 7, 17.0.15 → 17.
    static func javaMajor(_ version: String) -> String {
        let parts = version.split(whereSeparator: { $0 == "." || $0 == "_" }).map(String.init)
        if parts.first == "1", parts.count > 1 { return parts[1] }
        return parts.first ?? version
    }

    /// MSIE N, or Trident/7 without MSIE (IE 11's UA).
    static func msieVersion(_ ua: String) -> String? {
        if let r = ua.range(of: "MSIE ") {
            let v = ua[r.upperBound...].prefix { $0.isNumber || $0 == "." }
            if let major = v.split(separator: ".").first { return String(major) }
        }
        if let t = version(of: "Trident", in: ua) {
            // Trident/4 = IE 8, 5 = 9, 6 = 10, 7 = 11.
            if let n = Int(short(t, 1)) { return String(n + 4) }
        }
        return nil
    }

    static func androidVersion(_ ua: String) -> String? {
        guard let r = ua.range(of: "Android ") else { return nil }
        let v = ua[r.upperBound...].prefix { $0.isNumber || $0 == "." }
        return v.isEmpty ? nil : short(String(v), 2)
    }

    /// "iOS 12.1" or "macOS 10.9" from an Apple UA.
    static func appleOS(_ ua: String) -> String? {
        for marker in ["iPhone OS ", "CPU OS "] {
            if let r = ua.range(of: marker) {
                let v = ua[r.upperBound...].prefix { $0.isNumber || $0 == "_" }
                return "iOS " + v.split(separator: "_").prefix(2).joined(separator: ".")
            }
        }
        if let r = ua.range(of: "Mac OS X ") {
            let v = ua[r.upperBound...].prefix { $0.isNumber || $0 == "_" || $0 == "." }
            let parts = v.split(whereSeparator: { $0 == "_" || $0 == "." }).prefix(2)
            return parts.isEmpty ? "macOS" : "macOS " + parts.joined(separator: ".")
        }
        if ua.contains("Darwin/") { return "iOS or macOS" }
        return nil
    }

    static func operatingSystem(_ ua: String) -> String? {
        if let r = ua.range(of: "Windows NT ") {
            let v = String(ua[r.upperBound...].prefix { $0.isNumber || $0 == "." })
            let names = ["5.1": "Windows XP", "5.2": "Windows XP x64 / Server 2003", "6.0": "Windows Vista",
                         "6.1": "Windows 7", "6.2": "Windows 8", "6.3": "Windows 8.1", "10.0": "Windows 10 or later"]
            return names[v] ?? "Windows NT \(v)"
        }
        if let android = androidVersion(ua) { return "Android \(android)" }
        return appleOS(ua)
    }
}
