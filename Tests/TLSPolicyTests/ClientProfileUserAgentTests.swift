import Testing
@testable import TLSPolicy

/// The user-agent rules: the clients named without a captured hello.
@Suite("client profiles: user-agent rules")
struct ClientProfileUserAgentTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var agent: String
        var name: String
        var family: String
        var kind: ClientRemediation.Kind
        var testDescription: String { agent }
    }

    static let cases: [Case] = [
        Case(agent: "curl/7.29.0", name: "curl 7.29", family: "curl", kind: .curl),
        Case(agent: "curl/8.5.0", name: "curl 8.5", family: "curl", kind: .curl),
        Case(agent: "Wget/1.12 (linux-gnu)", name: "Wget 1.12", family: "wget", kind: .wget),
        Case(agent: "python-requests/2.6.0 CPython/2.7.5 Linux/3.10.0", name: "python-requests 2.6", family: "python", kind: .python),
        Case(agent: "Python-urllib/2.7", name: "Python 2.7 (urllib)", family: "python", kind: .python),
        Case(agent: "Python/3.8 aiohttp/3.7.4", name: "aiohttp 3.7 (Python 3.8)", family: "python", kind: .python),
        Case(agent: "python-httpx/0.27.0", name: "HTTPX 0.27 (Python)", family: "python", kind: .python),
        Case(agent: "Java/1.8.0_151", name: "Java 8 (HttpURLConnection)", family: "java", kind: .java),
        Case(agent: "Java/1.7.0_80", name: "Java 7 (HttpURLConnection)", family: "java", kind: .java7),
        Case(agent: "Java/1.6.0_45", name: "Java 6 (HttpURLConnection)", family: "java", kind: .java6),
        Case(agent: "Java/17.0.15", name: "Java 17 (HttpURLConnection)", family: "java", kind: .java),
        Case(agent: "Java-http-client/11.0.2", name: "Java 11 (HttpClient)", family: "java", kind: .java),
        Case(agent: "Apache-HttpClient/4.5.13 (Java/1.8.0_292)", name: "Apache HttpClient 4.5 (Java)", family: "java", kind: .java),
        Case(agent: "okhttp/3.12.1", name: "OkHttp 3.12 (Android or JVM)", family: "java", kind: .okhttp),
        Case(agent: "Go-http-client/1.1", name: "Go (net/http, Go-http-client/1.1)", family: "go", kind: .go),
        Case(agent: "axios/1.6.7", name: "axios 1.6 (Node.js)", family: "node", kind: .node),
        Case(agent: "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", name: "node-fetch 1.0 (Node.js)", family: "node", kind: .node),
        Case(agent: "node", name: "Node.js (fetch / undici)", family: "node", kind: .node),
        Case(agent: "undici", name: "Node.js (fetch / undici)", family: "node", kind: .node),
        Case(agent: "HTTP-Tiny/0.080", name: "HTTP::Tiny 0.080 (Perl)", family: "perl", kind: .perl),
        Case(agent: "libwww-perl/6.05", name: "libwww-perl 6.05 (Perl)", family: "perl", kind: .perl),
        Case(agent: "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.17763.316",
             name: "Windows PowerShell 5.1 (.NET Framework)", family: "dotnet", kind: .powershell5),
        Case(agent: "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.1",
             name: "PowerShell 7.4 (.NET)", family: "dotnet", kind: .dotnet),
        Case(agent: "Microsoft-CryptoAPI/6.1", name: "Windows CryptoAPI 6.1 (certificate, CRL and OCSP fetches)",
             family: "windows", kind: .windows),
        Case(agent: "Dalvik/2.1.0 (Linux; U; Android 9; SM-G960F Build/PPR1.180610.011)",
             name: "Android 9 (HttpURLConnection)", family: "android", kind: .android),
        Case(agent: "Dalvik/1.6.0 (Linux; U; Android 4.4.2; GT-I9505 Build/KOT49H)",
             name: "Android 4.4 (HttpURLConnection)", family: "android", kind: .android),
        Case(agent: "Mozilla/5.0 (Linux; U; Android 4.3; en-us; GT-I9300 Build/JSS15J) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
             name: "Android browser (Android 4.3)", family: "android", kind: .android),
        Case(agent: "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
             name: "Internet Explorer 8 (Windows 7)", family: "browser", kind: .internetExplorer),
        Case(agent: "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)",
             name: "Internet Explorer 10 (Windows 8)", family: "browser", kind: .internetExplorer),
        Case(agent: "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
             name: "Internet Explorer 11 (Windows 7)", family: "browser", kind: .internetExplorer),
        Case(agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
             name: "Edge 120 (Windows 10 or later)", family: "browser", kind: .browser),
        Case(agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.17763",
             name: "Edge 18 (EdgeHTML, Windows 10 or later)", family: "browser", kind: .browser),
        Case(agent: "Mozilla/5.0 (Windows NT 5.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36",
             name: "Chrome 49 (Windows XP)", family: "browser", kind: .browser),
        Case(agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
             name: "Chrome 156", family: "browser", kind: .browser),
        Case(agent: "Mozilla/5.0 (Windows NT 6.1; rv:52.0) Gecko/20100101 Firefox/52.0",
             name: "Firefox 52 (Windows 7)", family: "browser", kind: .browser),
        Case(agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.78.2 (KHTML, like Gecko) Version/7.0.6 Safari/537.78.2",
             name: "Safari 7.0 (macOS 10.9)", family: "browser", kind: .browser),
        Case(agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 12_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0 Mobile/15E148 Safari/604.1",
             name: "Safari 12.0 (iOS 12.1)", family: "browser", kind: .browser),
        Case(agent: "Mozilla/5.0 (iPad; CPU OS 9_3_5 like Mac OS X) AppleWebKit/601.1 (KHTML, like Gecko) CriOS/58.0.3029.113 Mobile/13G36 Safari/601.1.46",
             name: "Chrome 58 (iOS 9.3)", family: "browser", kind: .browser),
        Case(agent: "MyApp/1.2 CFNetwork/1220.1 Darwin/20.3.0", name: "Apple CFNetwork app (iOS or macOS)", family: "apple", kind: .apple),
    ]

    @Test(arguments: cases)
    func rule(_ c: Case) throws {
        let rule = try #require(UserAgentRules.identify(c.agent))
        #expect(rule.name == c.name)
        #expect(rule.family == c.family)
        #expect(rule.kind == c.kind)
        // Through identify, with a JA4 no profile has.
        let id = ClientProfileSet.shipped.identify(ja4: "t13d0102h2_000000000001_000000000002", userAgent: c.agent)
        #expect(id.match == .userAgent)
        #expect(id.name == c.name)
        #expect(id.fix != nil && id.fix == ClientRemediation.fix(c.kind))
    }

    @Test(arguments: ["", "   ", "SomeAgent/1.0", "Mozilla/5.0", "xcurl/7.1", "curl", "Java/", "foo (bar)"])
    func noRule(_ agent: String) {
        #expect(UserAgentRules.identify(agent) == nil)
    }

    /// Every profile's captured user agent is named by the rules as the profile's family (so a
    /// client whose hello changed in a later release is still named by family).
    @Test func capturedUserAgentsMatchTheirFamily() throws {
        for p in ClientProfileSet.shipped.profiles {
            guard let agent = p.userAgent else { continue }
            let rule = try #require(UserAgentRules.identify(agent), "\(p.id): \(agent)")
            #expect(rule.family == p.family, "\(p.id): \(agent) → \(rule.name)")
        }
    }
}
