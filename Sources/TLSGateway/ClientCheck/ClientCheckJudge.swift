import Foundation
import NIOSSL
import TLSWire

/// Judges one client's ClientHello against the gateway's policy, now and after the cutoff, by
/// running the hello through the TLS contexts the gateway would use (`HandshakeSimulator`).
struct ClientCheckJudge {
    let runtime: GatewayRuntime
    let now: Date

    /// The report for an observation. `policyHost` overrides the host whose policy applies.
    func report(for o: ClientCheckObservation, live: Bool) -> ClientCheckReport {
        let host = runtime.configuration.clientCheck?.policyHost ?? o.hello.serverName
        let engine = runtime.policy
        let policy = engine.policy(for: host)
        let facts = ConnectionFacts(serverName: host, maxOfferedVersion: o.maxOfferedVersion, clientAddress: o.clientAddress)

        let nowDecision = engine.decide(facts)
        let (nowVerdict, _) = verdict(nowDecision, observation: o, host: host, at: now)

        let (futureEngine, futureDate) = engine.enforcing(serverName: host, now: now)
        let futureDecision = futureEngine.decide(facts)
        let (futureVerdict, context) = verdict(futureDecision, observation: o, host: host, at: futureDate)

        var perSuite: [CipherSuite: String] = [:]
        let real = o.hello.cipherSuites.filter { !$0.isGREASE && !$0.isSCSV }
        if let context {
            let accepted = HandshakeSimulator.acceptedSuites(o.hello, recordVersion: o.flight.recordVersion, context: context,
                                               cache: runtime.simulations)
            for suite in real { perSuite[suite] = accepted.contains(suite) ? "accepted" : "not accepted" }
        } else {
            for suite in real { perSuite[suite] = "not accepted (\(o.maxOfferedVersion.displayName) is refused)" }
        }

        let report = ClientCheckReport.PolicyReport(
            host: host, name: policy.name, minimumVersion: policy.minimumVersion.displayName, mode: policy.mode.rawValue,
            cutoff: policy.cutoff.map(PolicyEngine.format), now: nowVerdict, afterCutoff: futureVerdict)
        return ClientCheckReport(observation: o, policy: report, afterCutoff: perSuite, live: live, now: now)
    }

    /// The verdict for one decision, and the context the handshake would use (nil when refused).
    private func verdict(_ d: ConnectionDecision, observation o: ClientCheckObservation, host: String?, at date: Date)
        -> (ClientCheckReport.Verdict, NIOSSLContext?) {
        let maxOffered = o.maxOfferedVersion
        let minimum = d.policy.minimumVersion
        var v = ClientCheckReport.Verdict(at: PolicyEngine.format(date), willConnect: false, answer: "", fix: nil,
                                          rule: d.rule, mode: d.mode, wouldNegotiate: nil, refusal: nil)
        let upgrade = DeprecationNotice(policy: d.policy, clientVersion: maxOffered, serverName: host, rule: d.rule, now: date).fix
        if d.action == .refuse || o.hello.isSSLv2Format {
            v.refusal = o.hello.isSSLv2Format ? "SSL 2.0-format ClientHello: the gateway closes the connection"
                : "fatal protocol_version alert (\(d.detail))"
            v.answer = "no — maximum version \(maxOffered.displayName); upgrade to \(minimum.displayName) or newer"
            v.fix = upgrade
            return (v, nil)
        }
        let floor: TLSContextSet.Floor = d.action == .legacy ? .legacy : .strict(minimum)
        let context = runtime.contexts.context(serverName: host, prefersECDSA: o.hello.canVerifyECDSA, floor: floor)
        switch HandshakeSimulator.run(o.hello, recordVersion: o.flight.recordVersion, context: context, cache: runtime.simulations) {
        case .refused(let alert, let reason):
            v.refusal = alert.map { "fatal \($0.name) alert" } ?? reason
            v.answer = "no — the server refuses this ClientHello (\(alert?.name ?? reason)): no cipher suite, group or "
                + "signature algorithm in common at \(maxOffered.displayName)"
            v.fix = "Offer TLS 1.2 or newer with an AEAD suite such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 and the "
                + "x25519 or secp256r1 group."
            return (v, context)
        case .accepted(let version, let suite, _):
            v.wouldNegotiate = .init(version: version.displayName, cipherSuite: suite.name, alpn: nil)
            let with = "\(version.displayName) with \(suite.name)"
            if d.explains {
                let status = d.policy.explain?.status ?? 426
                v.answer = "no — the handshake completes (\(with)) but every request is answered with HTTP \(status) "
                    + "explaining the deprecation"
                v.fix = upgrade
            } else if d.requiresAPIKeyException {
                v.answer = "only with an API key that has an exception — the handshake completes (\(with)); other "
                    + "requests get the deprecation answer"
                v.fix = upgrade
            } else {
                v.willConnect = true
                v.answer = "yes — \(with)" + (d.isLegacyClient ? " (\(d.detail))" : "")
                if d.isLegacyClient { v.fix = upgrade }
            }
            return (v, context)
        }
    }
}
