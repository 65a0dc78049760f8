import TLSReport
import TLSWire

/// The verdict on every weakness of a target: the scanner's probe observations, judged, and the
/// weaknesses that follow from what the scan found (suites per version, SSL 2.0, DH parameters),
/// in the report's documented order (the probed ones, those from the suites, then ROBOT).
public enum WeaknessJudge {
    public static func judge(_ t: TargetReport) -> [JudgedFinding] {
        var out = t.weaknesses.map(judge)
        let derived = fromSuites(t.protocols, supported: t.supportedVersions)
        out.insert(contentsOf: derived, at: out.firstIndex { $0.id == .robot } ?? out.endIndex)
        // "Not applicable" because a version seemed unsupported is "not evaluated" when that
        // version's probes erred: the claim rests on an answer never seen.
        if let why = t.protocols.notEvaluatedReason {
            for i in out.indices where out[i].check.status == .notApplicable {
                out[i].check = .notEvaluated(why)
                out[i].vulnerable = nil
            }
        }
        return out
    }

    /// One probe's observation: the behaviour it looks for, seen, is the weakness.
    public static func judge(_ f: Finding) -> JudgedFinding {
        var evidence = f.evidence
        if f.id == .earlyData, f.seen == true, let e = evidence {
            evidence = e + " Early data is not protected against replay (RFC 8446 §8): an attacker who records it can "
                + "deliver it again, so the application must accept it only for idempotent requests, or answer 425 Too "
                + "Early (RFC 8470)."
        }
        return JudgedFinding(FindingCatalogue.entry(f.id), check: f.check, vulnerable: f.seen, evidence: evidence)
    }

    // MARK: From the suites found

    static func fromSuites(_ protocols: [ProtocolResult], supported: [ProtocolVersion]) -> [JudgedFinding] {
        func suites(_ v: ProtocolVersion) -> [CipherSuiteInfo] { protocols.acceptedSuites(v).compactMap(\.info) }
        let enumerated = protocols.allSatisfy { $0.check.status == .completed || $0.supported == true }
        let all = [ProtocolVersion.sslv3, .tls10, .tls11, .tls12].flatMap { v in suites(v).map { (v, $0) } }
        func finding(_ id: FindingID, matching: [(ProtocolVersion, CipherSuiteInfo)], clean: String,
                     dirty: (String) -> String) -> JudgedFinding {
            guard enumerated else {
                return JudgedFinding(FindingCatalogue.entry(id), check: .notEvaluated("not evaluated: the suite enumeration did not complete"),
                                     vulnerable: nil, evidence: nil)
            }
            let names = Array(Set(matching.map { $0.1.ianaName })).sorted()
            let list = names.prefix(4).joined(separator: ", ") + (names.count > 4 ? " and \(names.count - 4) more" : "")
            return JudgedFinding(FindingCatalogue.entry(id), check: .completed, vulnerable: !matching.isEmpty,
                                 evidence: matching.isEmpty ? clean : dirty(list))
        }
        var out: [JudgedFinding] = []
        let sslv3CBC = suites(.sslv3).filter { $0.mode == .cbc }.map { (ProtocolVersion.sslv3, $0) }
        out.append(finding(.poodle, matching: sslv3CBC, clean: "no CBC suite over SSL 3.0", dirty: { "SSL 3.0 accepts \($0)" }))
        let tls10CBC = suites(.tls10).filter { $0.mode == .cbc }.map { (ProtocolVersion.tls10, $0) }
        out.append(finding(.beast, matching: tls10CBC, clean: "no CBC suite over TLS 1.0",
                           dirty: { "TLS 1.0 accepts \($0) (mitigated in current clients by 1/n-1 splitting)" }))
        out.append(finding(.sweet32, matching: all.filter { $0.1.blockBits == 64 }, clean: "no 64-bit block cipher accepted",
                           dirty: { "accepts \($0)" }))
        out.append(finding(.rc4, matching: all.filter { $0.1.cipher.hasPrefix("RC4") }, clean: "no RC4 suite accepted",
                           dirty: { "accepts \($0)" }))
        out.append(finding(.nullCipher, matching: all.filter { $0.1.mode == .null }, clean: "no NULL-cipher suite accepted",
                           dirty: { "accepts \($0)" }))
        out.append(finding(.anonymous, matching: all.filter { $0.1.isAnonymous }, clean: "no anonymous suite accepted",
                           dirty: { "accepts \($0)" }))
        out.append(finding(.export, matching: all.filter { $0.1.isExport }, clean: "no export suite accepted", dirty: { "accepts \($0)" }))
        // No forward secrecy: the server can be made to use RSA key exchange (every version), and
        // worst, it offers nothing else.
        let rsaKx = all.filter { !$0.1.forwardSecrecy && $0.1.keyExchange != .null }
        var fs = finding(.noForwardSecrecy, matching: rsaKx, clean: "every accepted suite has forward secrecy", dirty: { "accepts \($0)" })
        if fs.vulnerable == true, !supported.contains(.tls13), !all.contains(where: { $0.1.forwardSecrecy }) {
            fs.severity = .high
            fs.evidence = "no accepted suite has forward secrecy: " + (fs.evidence ?? "")
        }
        out.append(fs)
        out.append(drown(protocols))
        out.append(dhParameters(protocols, dheAccepted: all.contains { $0.1.usesEphemeralFiniteFieldDH }))
        return out
    }

    static func drown(_ protocols: [ProtocolResult]) -> JudgedFinding {
        let entry = FindingCatalogue.entry(.drown)
        guard let p = protocols.first(where: { $0.version == .sslv2 }), p.check.status == .completed else {
            return JudgedFinding(entry, check: .notEvaluated("not evaluated: the SSL 2.0 check did not complete"), vulnerable: nil, evidence: nil)
        }
        return JudgedFinding(entry, check: .completed, vulnerable: p.supported == true,
                             evidence: p.supported == true
                                 ? "SSL 2.0 is offered on this port: any TLS server sharing its RSA key is exposed"
                                 : "SSL 2.0 is not offered here (other hosts sharing the key are not checked)")
    }

    /// Logjam (RFC 7919 §1, weakdh.org): below 2048 bits is weak, below 1024 broken; a widely shared
    /// prime of 1024 bits or less is open to precomputation. Judged on the smallest prime of any
    /// version and suite (DHE and DH_anon alike), naming where it is used when sizes differ.
    static func dhParameters(_ protocols: [ProtocolResult], dheAccepted: Bool) -> JudgedFinding {
        let entry = FindingCatalogue.entry(.dhParameters)
        let primes = protocols.flatMap { p in p.dhPrimes.map { (p.version, $0) } }
        guard let (worstVersion, worst) = primes.min(by: { $0.1.primeBits < $1.1.primeBits }) else {
            return dheAccepted
                ? JudgedFinding(entry, check: .error("DHE suites are accepted but their parameters could not be read"), vulnerable: nil, evidence: nil)
                : JudgedFinding(entry, check: .notApplicable("no DHE suite is accepted"), vulnerable: nil, evidence: nil)
        }
        let bits = worst.primeBits
        let shared = worst.wellKnownPrime.map { " (\($0))" } ?? ""
        let sizes = Set(primes.map(\.1.primeBits)).sorted()
        var evidence = "DHE uses a \(bits)-bit prime\(shared)"
        if sizes.count > 1 {
            let with = worst.suites.isEmpty ? "" : " with \(worst.suites.joined(separator: ", "))"
            evidence = "DH primes of \(sizes.map(String.init).joined(separator: ", ")) bits: the \(bits)-bit one\(shared) in \(worstVersion.displayName)\(with)"
        } else if !worst.suites.isEmpty, worst.suites.allSatisfy({ CipherSuiteInfo.named(iana: $0)?.isAnonymous == true }) {
            evidence = "DH_anon uses a \(bits)-bit prime\(shared)"
        }
        // Accepted DH suites whose prime no probe read (a server that stalled after their
        // ServerHello): a smaller prime may hide there, so large primes alone do not clear it.
        let unread = protocols.filter { $0.supported == true && $0.dhParameters != nil }.flatMap { p in
            let read = Set(p.dhPrimes.flatMap(\.suites))
            return p.cipherSuites.filter { $0.suite?.info?.usesEphemeralFiniteFieldDH == true && !read.contains($0.name) }
                .map { "\($0.name) (\(p.version.displayName))" }
        }
        if !unread.isEmpty, bits >= 2048 {
            return JudgedFinding(entry, check: .error("the DH prime was not read for \(unread.joined(separator: ", ")); the \(bits)-bit or larger primes read do not settle it"),
                                 vulnerable: nil, evidence: evidence)
        }
        var f = JudgedFinding(entry, check: .completed, vulnerable: bits < 2048, evidence: evidence)
        if bits < 1024 { f.severity = .critical }
        if bits < 2048, worst.wellKnownPrime != nil, bits <= 1024 {
            f.evidence! += ": a widely shared prime of this size is open to precomputation"
        }
        return f
    }
}
