import TLSReport
import TLSWire

/// Checks a scanned target against a profile. A check that did not complete makes its
/// requirements "not evaluated", never "pass".
public enum ProfileEvaluator {
    public static func evaluate(_ profile: Profile, _ t: TargetReport, platform: String? = nil) -> ComplianceReport {
        evaluate(profile, t, JudgedFindings(WeaknessJudge.judge(t)), platform: platform)
    }

    public static func evaluate(_ profile: Profile, _ t: TargetReport, _ findings: JudgedFindings, platform: String? = nil) -> ComplianceReport {
        var results: [RequirementResult] = []
        for r in profile.requirements {
            let (status, evidence) = check(r, t, findings)
            var result = RequirementResult(id: r.id, title: r.title, level: r.level ?? .must, status: status, evidence: evidence)
            if status == .fail, let key = r.remediation { result.remediation = Remediation.steps(for: key, platform: platform) }
            results.append(result)
        }
        let musts = results.filter { $0.level == .must }
        let verdict: ComplianceReport.Verdict = t.status.status != .completed ? .notEvaluated
            : musts.contains { $0.status == .fail } ? .notCompliant
            : musts.contains { $0.status == .notEvaluated } ? .notEvaluated : .compliant
        return ComplianceReport(profile: profile.id, name: profile.name, version: profile.version, verdict: verdict, requirements: results)
    }

    typealias Outcome = (RequirementResult.Status, String)

    static func check(_ r: Profile.Requirement, _ t: TargetReport, _ findings: JudgedFindings) -> Outcome {
        guard t.status.status == .completed else { return (.notEvaluated, "the target could not be scanned: \(t.status.reason ?? "")") }
        if let rule = r.protocols { return protocols(rule, t) }
        if let rule = r.cipherSuites { return cipherSuites(rule, t) }
        if let rule = r.groups { return groups(rule, t) }
        if let rule = r.certificate { return certificate(rule, t) }
        if let rule = r.dhParameters { return dh(rule, t) }
        if let rule = r.weaknesses { return weaknesses(rule, findings) }
        if let rule = r.features { return features(rule, t, findings) }
        if let rule = r.hsts { return hsts(rule, t) }
        return (.notEvaluated, "the requirement has no rule")
    }

    static func list(_ items: [String], max: Int = 4) -> String {
        items.prefix(max).joined(separator: ", ") + (items.count > max ? " and \(items.count - max) more" : "")
    }

    static func protocols(_ rule: Profile.ProtocolsRule, _ t: TargetReport) -> Outcome {
        let incomplete = t.protocols.filter { $0.check.status != .completed && $0.supported == nil }.map(\.version.name)
        let offered = t.supportedVersions
        let allowed = (rule.allowed ?? []).compactMap(ProtocolVersion.init(parsing:))
        let required = (rule.required ?? []).compactMap(ProtocolVersion.init(parsing:))
        let extra = rule.allowed == nil ? [] : offered.filter { !allowed.contains($0) }
        let missing = required.filter { !offered.contains($0) }
        var problems: [String] = []
        if !extra.isEmpty { problems.append("offers \(extra.map(\.displayName).joined(separator: ", "))") }
        if !missing.isEmpty { problems.append("does not offer \(missing.map(\.displayName).joined(separator: ", "))") }
        if !problems.isEmpty { return (.fail, problems.joined(separator: "; ") + " (offered: \(offered.map(\.displayName).joined(separator: ", ")))") }
        if !incomplete.isEmpty { return (.notEvaluated, "could not check \(incomplete.joined(separator: ", "))") }
        return (.pass, "offers \(offered.map(\.displayName).joined(separator: ", "))")
    }

    static func cipherSuites(_ rule: Profile.CipherSuitesRule, _ t: TargetReport) -> Outcome {
        let scope = rule.versions.map { $0.compactMap { ProtocolVersion(parsing: $0) } }
        let protocols = t.protocols.filter { p in p.supported == true && p.version != .sslv2 && (scope?.contains(p.version) ?? true) }
        if t.protocols.contains(where: { $0.check.status == .error && (scope?.contains($0.version) ?? true) }) {
            return (.notEvaluated, "the suite enumeration did not complete")
        }
        var bad: [String] = []
        for p in protocols {
            for s in p.cipherSuites {
                guard let info = s.suite?.info else { continue }
                var why: [String] = []
                if let allowed = rule.allowed, !allowed.contains(info.ianaName) { why.append("not allowed") }
                for c in rule.forbid ?? [] where SuiteClass.matches(c, info) { why.append(c) }
                if let min = rule.minimumBits, info.bits < min { why.append("\(info.bits) bits") }
                if !why.isEmpty { bad.append("\(info.ianaName) in \(p.version) (\(why.joined(separator: ", ")))") }
            }
        }
        let sslv2 = t.protocolResult(.sslv2)?.supported == true && (scope == nil || scope!.contains(.sslv2))
        if sslv2 { bad.append("SSL 2.0 cipher specs") }
        if bad.isEmpty {
            let n = protocols.reduce(0) { $0 + $1.cipherSuites.count }
            return (.pass, "all \(n) accepted suites comply")
        }
        return (.fail, "accepts \(list(bad, max: 3))")
    }

    static func groups(_ rule: Profile.GroupsRule, _ t: TargetReport) -> Outcome {
        let results = t.protocols.compactMap(\.groups)
        guard !results.isEmpty else { return (.notEvaluated, "no group enumeration ran (no ECDHE or TLS 1.3)") }
        if results.contains(where: { $0.check.status == .error }) { return (.notEvaluated, "the group enumeration did not complete") }
        let groups = Set(results.flatMap(\.groups))
        var bad: [String] = []
        for g in groups.sorted(by: { $0.name < $1.name }) {
            if let allowed = rule.allowed, !allowed.contains(g.name) { bad.append(g.name) } else if let min = rule.minimumBits, (g.bits ?? 0) < min, g.kind != .hybrid, g.kind != .pq {
                bad.append("\(g.name) (\(g.bits ?? 0)-bit)")
            }
        }
        return bad.isEmpty ? (.pass, "groups: \(groups.map(\.name).sorted().joined(separator: ", "))") : (.fail, "accepts \(list(bad))")
    }

    static func certificate(_ rule: Profile.CertificateRule, _ t: TargetReport) -> Outcome {
        guard let c = t.certificates, c.check.status == .completed, !c.chains.isEmpty else {
            return (.notEvaluated, "no certificate was analysed: \(t.certificates?.check.reason ?? "check did not run")")
        }
        var problems: [String] = []
        var unknown: [String] = []
        for chain in c.chains {
            let a = chain.analysis
            guard let leaf = a.certificates.first else { unknown.append("empty chain"); continue }
            if rule.trusted == true {
                switch a.trusted {
                case false?: problems.append("not trusted: \(a.trustProblems.first ?? "unknown reason")")
                case nil: unknown.append("trust could not be evaluated")
                default: break
                }
            }
            if rule.hostname == true, a.hostnameMatches == false { problems.append(a.hostnameProblem ?? "name mismatch") }
            if let min = rule.minimumRSABits, leaf.keyType == .rsa, leaf.keyBits < min { problems.append("\(leaf.keyBits)-bit RSA key (minimum \(min))") }
            if let min = rule.minimumECBits, leaf.keyType == .ecdsa, leaf.keyBits < min { problems.append("\(leaf.keyBits)-bit EC key (minimum \(min))") }
            if let types = rule.keyTypes, !types.contains(leaf.keyType.rawValue) { problems.append("\(leaf.keyType) key (allowed: \(types.joined(separator: ", ")))") }
            for hash in rule.forbidSignatures ?? [] {
                for cert in a.certificates.dropLast(a.certificates.count > 1 && a.certificates.last!.selfIssued ? 1 : 0)
                where cert.signatureAlgorithm.lowercased().contains(hash.lowercased()) {
                    problems.append("'\(cert.subject)' is signed with \(cert.signatureAlgorithm)")
                }
            }
            if let max = rule.maximumValidityDays {
                let days = Int(leaf.notAfter.timeIntervalSince(leaf.notBefore) / 86400)
                if days > max { problems.append("valid for \(days) days (maximum \(max))") }
            }
        }
        if !problems.isEmpty { return (.fail, list(Array(NSOrderedSetLike(problems)), max: 3)) }
        if !unknown.isEmpty { return (.notEvaluated, unknown.joined(separator: "; ")) }
        return (.pass, "\(c.chains.count) chain\(c.chains.count == 1 ? "" : "s") checked")
    }

    static func dh(_ rule: Profile.DHRule, _ t: TargetReport) -> Outcome {
        let dheAccepted = t.protocols.contains { p in
            p.supported == true && p.cipherSuites.contains { $0.suite?.info?.usesEphemeralFiniteFieldDH == true }
        }
        guard dheAccepted else { return (.pass, "no DHE suite is accepted") }
        guard let bits = t.protocols.compactMap(\.dhParameterBits).min() else { return (.notEvaluated, "DHE is accepted but its parameters were not read") }
        return bits >= rule.minimumBits ? (.pass, "\(bits)-bit DH parameters") : (.fail, "\(bits)-bit DH parameters (minimum \(rule.minimumBits))")
    }

    static func weaknesses(_ rule: Profile.WeaknessesRule, _ findings: JudgedFindings) -> Outcome {
        var found: [String] = []
        var unknown: [String] = []
        for id in rule.notVulnerable {
            guard let f = findings[FindingID(id)] else { unknown.append("\(id) (no such check)"); continue }
            switch f.check.status {
            case .completed: if f.vulnerable == true { found.append(f.title) }
            case .notApplicable: break
            case .error, .notRun, .notEvaluated: unknown.append("\(f.title): \(f.check.reason ?? "")")
            }
        }
        if !found.isEmpty { return (.fail, "vulnerable: \(list(found))") }
        if !unknown.isEmpty { return (.notEvaluated, "not checked: \(list(unknown, max: 2))") }
        return (.pass, "none of \(rule.notVulnerable.count) checked weaknesses present")
    }

    static func features(_ rule: Profile.FeaturesRule, _ t: TargetReport, _ findings: JudgedFindings) -> Outcome {
        let tls13Only = t.supportedVersions == [.tls13]
        guard let f = t.features, f.check.status == .completed || tls13Only else {
            return (.notEvaluated, "protocol features were not read: \(t.features?.check.reason ?? "")")
        }
        var missing: [String] = []
        for need in rule.require {
            switch need {
            case "secureRenegotiation": if !tls13Only && f.secureRenegotiation != true { missing.append("secure renegotiation (RFC 5746)") }
            case "extendedMasterSecret": if !tls13Only && f.extendedMasterSecret != true { missing.append("extended master secret (RFC 7627)") }
            case "ocspStapling": if f.ocspStapling != true { missing.append("OCSP stapling") }
            case "noCompression": if findings.vulnerable(.compression) { missing.append("no compression") }
            default: missing.append("\(need) (unknown feature)")
            }
        }
        return missing.isEmpty ? (.pass, rule.require.joined(separator: ", ")) : (.fail, "missing: \(missing.joined(separator: ", "))")
    }

    static func hsts(_ rule: Profile.HSTSRule, _ t: TargetReport) -> Outcome {
        guard let h = t.http, h.check.status == .completed, let hsts = h.hsts else {
            return (.notEvaluated, "HTTP was not checked: \(t.http?.check.reason ?? "")")
        }
        guard hsts.valid, let age = hsts.maxAge else { return (.fail, hsts.problems.first ?? "no valid HSTS header") }
        return age >= rule.minimumMaxAge ? (.pass, "max-age=\(age)") : (.fail, "max-age=\(age) (minimum \(rule.minimumMaxAge))")
    }
}

/// Order-preserving de-duplication.
func NSOrderedSetLike(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}
