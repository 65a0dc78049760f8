import TLSReport
import TLSWire

/// The SSL Labs SSL Server Rating Guide, criteria 2009q, over a scan report: three category scores,
/// then caps, each with its reason in words. Pure: no I/O.
///
/// Sources: the rating guide (versions 2009e–2009q) and Qualys' announcements as summarised in
/// docs/grading.md; where our figure can differ from SSL Labs' because a check did not run, the
/// report says so in `notEvaluated`.
public enum Grader {
    public static let criteria = "SSL Labs rating guide 2009q"
    static let order = ["A+", "A", "A-", "B", "C", "D", "E", "F"]

    /// Grades `t`, judging its weaknesses first.
    public static func grade(_ t: TargetReport) -> GradeReport? { grade(t, JudgedFindings(WeaknessJudge.judge(t))) }

    public static func grade(_ t: TargetReport, _ findings: JudgedFindings) -> GradeReport? {
        guard t.status.status == .completed else { return nil }
        let supported = t.supportedVersions
        guard !supported.isEmpty else {
            return GradeReport(grade: "F", caps: [GradeCap(grade: "F", reason: "no SSL/TLS version could be negotiated")], criteria: criteria)
        }
        var g = Grading(t: t, findings: findings, supported: supported)
        let scores = g.scores()
        g.capsF(weakestKeyExchange: scores.weakestKeyExchange)
        g.capsC()
        g.capsB(weakestKeyExchange: scores.weakestKeyExchange)
        g.capsTrust()
        g.capsAPlus()
        for f in findings.all where [.error, .notRun, .notEvaluated].contains(f.check.status) {
            g.notEvaluated.append("\(f.title): \(f.check.reason ?? "did not run")")
        }
        for p in t.protocols where p.check.status == .error { g.notEvaluated.append("\(p.version): \(p.check.reason ?? "error")") }

        // T and M win over everything; otherwise the lowest cap.
        var computed = scores.letter
        for c in g.caps where order.contains(c.grade) && rank(c.grade) > rank(computed) { computed = c.grade }
        if computed == "A" {
            if !g.warnings.isEmpty { computed = "A-" } else if !g.caps.contains(where: { $0.grade == "A" }) { computed = "A+" }
        }
        let trustCap = g.caps.first { $0.grade == "T" } ?? g.caps.first { $0.grade == "M" }
        let failedScore = g.caps.contains { $0.grade == "F" }
        return GradeReport(
            grade: trustCap?.grade ?? computed, gradeIgnoringTrust: trustCap == nil ? nil : computed,
            score: failedScore ? nil : scores.score, protocolScore: scores.protocolScore, keyExchangeScore: scores.keyExchangeScore,
            cipherScore: scores.cipherScore, caps: g.caps, warnings: g.warnings, notEvaluated: g.notEvaluated, criteria: criteria)
    }

    /// One grading: what the rules read, and the caps, warnings and gaps they find, in the rating
    /// guide's order (scores, then the F, C, B, T/M and A+ caps).
    private struct Grading {
        let t: TargetReport
        let findings: JudgedFindings
        let supported: [ProtocolVersion]
        /// Every suite offered on any version.
        let suites: [CipherSuiteInfo]
        /// A client that sends SNI never sees a chain served only without it (a server's default
        /// certificate): with a name asked for, only the chains served for it are graded, as SSL
        /// Labs and testssl.sh do.
        let chains: [ServedChain]
        var caps: [GradeCap] = []
        var warnings: [String] = []
        var notEvaluated: [String] = []

        init(t: TargetReport, findings: JudgedFindings, supported: [ProtocolVersion]) {
            self.t = t
            self.findings = findings
            self.supported = supported
            suites = t.protocols.filter { $0.supported == true }.flatMap { $0.cipherSuites.compactMap { $0.suite?.info } }
            chains = gradedChains(t)
        }

        mutating func cap(_ g: String, _ reason: String) { caps.append(GradeCap(grade: g, reason: reason)) }
        func vulnerable(_ id: FindingID) -> Bool { findings.vulnerable(id) }

        struct Scores {
            var protocolScore: Int
            var keyExchangeScore: Int
            var cipherScore: Int
            var weakestKeyExchange: (Int, String)?
            var score: Int
            var letter: String
        }

        mutating func scores() -> Scores {
            // 1. Protocol support: (best + worst) / 2.
            let protocolScores: [ProtocolVersion: Int] = [.sslv2: 0, .sslv3: 80, .tls10: 90, .tls11: 95, .tls12: 100, .tls13: 100]
            let pScores = supported.compactMap { protocolScores[$0] }
            let protocolScore = (pScores.max()! + pScores.min()!) / 2

            // 2. Key exchange: the weakest of the certificate key and the ephemeral parameters.
            var kx: [(Int, String)] = []
            for chain in chains {
                guard let leaf = chain.analysis.certificates.first else { continue }
                if leaf.keyType == .rsa { kx.append((rsaScore(leaf.keyBits), "\(leaf.keyBits)-bit RSA certificate key")) }
                else if leaf.keyType == .ecdsa || leaf.keyType == .ed25519 { kx.append((ecScore(leaf.keyBits), "\(leaf.keyBits)-bit \(leaf.keyType) certificate key")) }
            }
            if let dh = t.protocols.compactMap(\.dhParameterBits).min() { kx.append((rsaScore(dh), "\(dh)-bit DH parameters")) }
            for p in t.protocols where p.version != .tls13 {
                for g in p.groups?.groups ?? [] where (g.bits ?? 0) > 0 && g.kind == .ec {
                    kx.append((ecScore((g.bits ?? 128) * 2), "ECDHE group \(g.name)"))
                }
            }
            if suites.contains(where: { $0.isAnonymous }) { kx.append((0, "anonymous key exchange")) }
            if suites.contains(where: { $0.isExport }) { kx.append((40, "export key exchange")) }
            if t.certificates?.chains.isEmpty ?? true { notEvaluated.append("certificate key size (no certificate was analysed)") }
            let weakestKx = kx.min { $0.0 < $1.0 }
            let keyExchangeScore = weakestKx?.0 ?? 100

            // 3. Cipher strength: (best + worst) / 2.
            func cipherScore(_ bits: Int) -> Int { bits == 0 ? 0 : bits < 128 ? 20 : bits < 256 ? 80 : 100 }
            let cScores = suites.map { cipherScore($0.bits) }
            let cipherScoreValue = cScores.isEmpty ? 0 : (cScores.max()! + cScores.min()!) / 2

            var score = Int((0.3 * Double(protocolScore) + 0.3 * Double(keyExchangeScore) + 0.4 * Double(cipherScoreValue)).rounded())
            if protocolScore == 0 || keyExchangeScore == 0 || cipherScoreValue == 0 { score = 0 }
            let letter = score >= 80 ? "A" : score >= 65 ? "B" : score >= 50 ? "C" : score >= 35 ? "D" : score >= 20 ? "E" : "F"
            return Scores(protocolScore: protocolScore, keyExchangeScore: keyExchangeScore, cipherScore: cipherScoreValue,
                          weakestKeyExchange: weakestKx, score: score, letter: letter)
        }

        mutating func capsF(weakestKeyExchange weakestKx: (Int, String)?) {
            if supported.contains(.sslv2) { cap("F", "SSL 2.0 is offered") }
            if supported.max() == .sslv3 { cap("F", "SSL 3.0 is the best protocol offered") }
            if let w = weakestKx, w.0 <= 40 { cap("F", "key exchange too weak: \(w.1)") }
            if suites.contains(where: { $0.isExport }) { cap("F", "export suites are offered (FREAK)") }
            if let weakest = suites.filter({ $0.bits < 112 }).first { cap("F", "a suite under 112 bits is offered (\(weakest.ianaName))") }
            for chain in chains {
                guard let leaf = chain.analysis.certificates.first,
                      let hash = CertificateVerdict(leaf).brokenHash, hash == "MD5" || hash == "MD2" else { continue }
                cap("F", "the certificate is signed with \(hash) (\(leaf.signatureAlgorithm))")
                break
            }
            if vulnerable(.heartbleed) { cap("F", "vulnerable to Heartbleed") }
            if vulnerable(.ccsInjection) { cap("F", "vulnerable to the OpenSSL CCS injection") }
            if vulnerable(.drown) { cap("F", "SSL 2.0 on this key (DROWN)") }
            if vulnerable(.robot) { cap("F", "a Bleichenbacher padding oracle on RSA key exchange (ROBOT)") }
        }

        mutating func capsC() {
            if !supported.contains(.tls12) && !supported.contains(.tls13) { cap("C", "no TLS 1.2 or 1.3") }
            let modern = t.protocols.filter { p in p.supported == true && [ProtocolVersion.tls11, .tls12].contains(p.version) }
                .flatMap { $0.cipherSuites.compactMap { $0.suite?.info } }
            if modern.contains(where: { $0.cipher.hasPrefix("RC4") }) { cap("C", "RC4 is used with TLS 1.1 or newer") }
            if modern.contains(where: { $0.blockBits == 64 }) { cap("C", "3DES or another 64-bit block cipher is used with TLS 1.1 or newer (SWEET32)") }
            if vulnerable(.poodle) { cap("C", "vulnerable to POODLE (SSL 3.0 with CBC)") }
            if vulnerable(.compression) { cap("C", "TLS compression is enabled (CRIME)") }
        }

        mutating func capsB(weakestKeyExchange weakestKx: (Int, String)?) {
            if supported.contains(.tls10) || supported.contains(.tls11) { cap("B", "TLS 1.0 or TLS 1.1 is offered") }
            if supported.contains(.sslv3) { cap("B", "SSL 3.0 is offered") }
            if suites.contains(where: { $0.cipher.hasPrefix("RC4") }) { cap("B", "RC4 is offered") }
            if !suites.contains(where: { $0.forwardSecrecy && !$0.isAnonymous }) { cap("B", "no forward secrecy") }
            if !suites.contains(where: { $0.isAEAD }) { cap("B", "no AEAD suite") }
            if let w = weakestKx, w.0 > 40, w.0 <= 80 { cap("B", "key exchange under 2048 bits: \(w.1)") }
            if chains.contains(where: { $0.analysis.missingIssuer != nil }) {
                cap("B", "the certificate chain is incomplete (intermediate missing)")
            }
        }

        /// T (not trusted) and M (name mismatch).
        mutating func capsTrust() {
            for chain in chains {
                let a = chain.analysis
                if a.trusted == false {
                    // An incomplete chain alone is B (capsB); its sentence is the last trust problem.
                    let others = a.missingIssuer == nil ? a.trustProblems[...] : a.trustProblems.dropLast()
                    if let why = others.first { cap("T", "certificate not trusted: \(why)") }
                }
                if let leaf = a.certificates.first, case let v = CertificateVerdict(leaf), v.weakSignature, v.brokenHash == "SHA-1" {
                    cap("T", "the certificate is signed with SHA-1 (\(leaf.signatureAlgorithm))")
                }
                if a.hostnameMatches == false { cap("M", a.hostnameProblem ?? "certificate name mismatch") }
            }
        }

        /// What stands between A and A+, and the A- warnings.
        mutating func capsAPlus() {
            if let hsts = t.http?.hsts, t.http?.check.status == .completed {
                if !hsts.valid || (hsts.maxAge ?? 0) < HSTSVerdict.minimumMaxAge {
                    cap("A", hsts.valid ? "HSTS max-age under 180 days" : "no valid HSTS header")
                }
            } else {
                notEvaluated.append("HSTS (A+ needs it; the HTTP check did not run)")
                cap("A", "HSTS not checked")
            }
            if vulnerable(.fallbackSCSV) { cap("A", "TLS_FALLBACK_SCSV is not honoured") }
            if vulnerable(.secureRenegotiation) { warnings.append("secure renegotiation (RFC 5746) is not supported") }
        }
    }

    /// The chains a client asking for the target's name gets: when SNI was sent, those served for it
    /// (a chain seen only without SNI is the server's default for other names).
    static func gradedChains(_ t: TargetReport) -> [ServedChain] {
        let all = t.certificates?.chains ?? []
        guard t.sni != nil else { return all }
        let withSNI = all.filter { $0.servedFor.contains { !$0.hasSuffix("no SNI") } }
        return withSNI.isEmpty ? all : withSNI
    }

    static func rank(_ g: String) -> Int { order.firstIndex(of: g) ?? order.count }

    /// Rating guide: key exchange strength by RSA-equivalent bits.
    static func rsaScore(_ bits: Int) -> Int {
        bits < 512 ? 20 : bits < 1024 ? 40 : bits < 2048 ? 80 : bits < 4096 ? 90 : 100
    }

    /// EC key sizes on the same scale (testssl.sh's thresholds: <110, <123, <163, <225 bits).
    static func ecScore(_ bits: Int) -> Int {
        bits < 110 ? 20 : bits < 123 ? 40 : bits < 163 ? 80 : bits < 225 ? 90 : 100
    }
}
