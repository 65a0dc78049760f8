import Foundation
import Logging
import NIOCore
import NIOPosix
import TLSReport
import TLSWire
import X509

/// Knobs of a scan.
public struct ScanOptions: Sendable {
    public var connectTimeout: TimeAmount = .seconds(5)
    public var readTimeout: TimeAmount = .seconds(5)
    /// Connections open at once to one target (sslyze's default too).
    public var perHostConcurrency = 5
    /// Connections open at once over all targets.
    public var globalConcurrency = 64
    /// Targets scanned at once.
    public var parallelTargets = 8
    /// Send `GET /` over HTTPS and read the response headers (HSTS, banner).
    public var http = true
    /// The ROBOT probe (ten RSA handshakes with crafted padding); off by default.
    public var robot = false
    /// Roots trusted in addition to the system store (`--ca-file`).
    public var extraRoots: [Certificate] = []
    /// The time certificates are judged at; nil is now. Tests inject it.
    public var now: Date?
    /// Suites per hello while enumerating: small hellos for intolerant servers (nmap uses ≤64).
    public var blockSize = 64
    /// Start each version with one hello of every candidate suite (forwards and backwards): for a
    /// server with its own order, one elimination chain then yields the suites and the order
    /// together. A server that does not answer such a hello is enumerated in `blockSize` blocks.
    public var foldOrderIntoEnumeration = true
    /// Extra attempts for a probe that timed out or could not connect.
    public var retries = 1
    public var versions: [ProtocolVersion] = ProtocolVersion.scanned

    public init() {}
}

/// Scans TLS servers by crafted hellos: protocol support, every accepted suite by elimination,
/// the server's order, and groups.
public struct Scanner: Sendable {
    public var options: ScanOptions
    let transport: ProbeTransport
    let global: AsyncSemaphore
    let logger: Logger

    public init(options: ScanOptions = ScanOptions(), logger: Logger = Logger(label: "tlsguard.scanner")) {
        self.options = options
        self.transport = ProbeTransport(connectTimeout: options.connectTimeout, readTimeout: options.readTimeout)
        self.global = AsyncSemaphore(permits: max(1, options.globalConcurrency))
        self.logger = logger
        // Starts loading the system trust store in the background (about 0.3 s) so that it overlaps
        // the probing instead of delaying the first certificate analysis; it does not block.
        _ = CertificateStore.systemTrustRoots
    }

    /// Scans targets concurrently (at most `parallelTargets` at once); `onResult` sees each report
    /// as its target finishes. Returns the reports in input order.
    public func scan(_ targets: [ScanTarget], onResult: @escaping @Sendable (TargetReport) async -> Void = { _ in }) async -> [TargetReport] {
        let limit = AsyncSemaphore(permits: max(1, options.parallelTargets))
        return await withTaskGroup(of: (Int, TargetReport).self) { group in
            for (i, t) in targets.enumerated() {
                group.addTask {
                    await limit.withPermit {
                        let r = await self.scan(t)
                        await onResult(r)
                        return (i, r)
                    }
                }
            }
            var out = [TargetReport?](repeating: nil, count: targets.count)
            for await (i, r) in group { out[i] = r }
            return out.map { $0! }
        }
    }

    /// Scans one target. Never throws: what went wrong is in the report.
    public func scan(_ target: ScanTarget) async -> TargetReport {
        let clock = ContinuousClock.now
        var report = TargetReport(target: target.description, host: target.host, port: target.port, sni: target.sni,
                                  address: nil, status: .completed, startedAt: Date())
        func finished(_ session: ProbeSession?) -> TargetReport {
            let elapsed = ContinuousClock.now - clock
            report.durationMs = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            report.probeCount = session?.probeCount ?? 0
            report.connectionsByCheck = session?.counter.byCheck ?? [:]
            return report
        }

        let address: SocketAddress
        do {
            address = try await resolve(target)
        } catch {
            report.status = .error("\(error)")
            return finished(nil)
        }
        report.address = address.ipAddress
        let session = ProbeSession(scanner: self, target: target, address: address)
        if let first = await connect(session, target, &report) {
            await scanServer(session, target, first: first, &report)
        }
        return finished(session)
    }

    /// Connectivity: a modern hello. A refused port, a non-TLS service and silence end the scan
    /// here (nil, with the report's status saying why); otherwise the answer, and the default
    /// negotiation when it is one.
    private func connect(_ session: ProbeSession, _ target: ScanTarget, _ report: inout TargetReport) async -> ProbeOutcome? {
        let modernHello = session.modernHello()
        let first = await session.during(.connectivity) { await session.probe(modernHello, stopAt: .serverHello) }
        switch first {
        case .connectFailed(let why):
            report.status = .error("\(target): \(why)")
            return nil
        case .notTLS(let bytes):
            report.status = .error("\(target): not a TLS service (it answered \(describeBytes(bytes)))")
            return nil
        case .timedOut(let f) where f.bytesReceived == 0:
            report.status = .error("\(target): no answer to a ClientHello within \(seconds(options.readTimeout)) s (is it a TLS port?)")
            return nil
        case .ioError(let why):
            report.status = .error("\(target): \(why) before any TLS answer")
            return nil
        default:
            if let sh = first.serverHello, let v = try? sh.negotiatedVersion() {
                // Only what was offered counts as a negotiation: anything else is the server misbehaving.
                if !modernHello.cipherSuites.contains(sh.cipherSuite) {
                    await session.anomalies.add("answered a modern hello with \(sh.cipherSuite.name), which the client did not offer")
                } else if !(ProtocolVersion.tls10...ProtocolVersion.tls13).contains(v) {
                    await session.anomalies.add("answered a modern hello with \(v.displayName), which the client did not offer")
                } else {
                    report.defaultNegotiation = Negotiation(version: v, cipherSuite: SuiteResult(sh.cipherSuite))
                }
            }
        }
        return first
    }

    /// Everything after connectivity: the versions and their suites, then groups, weaknesses,
    /// certificates and HTTP side by side.
    private func scanServer(_ session: ProbeSession, _ target: ScanTarget, first: ProbeOutcome, _ report: inout TargetReport) async {
        // The HTTP check over swift-nio-ssl needs one TLS 1.2+ handshake and nothing the enumeration
        // finds: when the connectivity probe already got TLS 1.3, or TLS 1.2 with a suite
        // swift-nio-ssl offers, it runs beside everything else. Otherwise (TLS 1.0/1.1 only, DHE
        // only, or that handshake failed) it waits for the enumeration, which picks the client.
        let negotiated = report.defaultNegotiation
        let httpEarly = negotiated.map {
            $0.version == .tls13 || ($0.version == .tls12 && $0.cipherSuite.suite.map(ProbeSession.boringSSLTLS12Suites.contains) == true)
        } ?? false
        async let earlyHTTP: HTTPResult? = httpEarly ? session.run(HTTPCheck(enabled: options.http, when: .early)) : nil

        let versions = options.versions
        report.protocols = await withTaskGroup(of: ProtocolResult.self) { group in
            for v in versions {
                group.addTask { await session.run(ProtocolVersionCheck(version: v)) }
            }
            var results: [ProtocolResult] = []
            for await r in group { results.append(r) }
            return results.sorted { $0.version < $1.version }
        }
        // No version answered in a way the scanner understood: there is nothing to judge, and a
        // report of "nothing supported" would be a false clean result.
        if let reason = Self.everyVersionErred(report.protocols) {
            report.status = .error("\(target): could not be scanned: every protocol probe failed (\(reason))")
            report.anomalies = await session.anomalies.values
            report.http = await earlyHTTP
            return
        }

        // Groups, the weakness probes and the certificate probes need the suites found above and
        // nothing from each other: they run side by side. What follows from the DH parameters (the
        // groups scan reads them) and the default chain (the weakness feature probe gets it) is put
        // together afterwards.
        let found = report.protocols
        async let grouped: [ProtocolResult] = session.withGroups(found)
        async let probedWeaknesses = session.scanWeaknesses(found)
        async let collectedChains = session.run(ChainCollectionCheck(protocols: found))
        async let lateHTTP: HTTPResult? =
            httpEarly ? nil : session.run(HTTPCheck(enabled: options.http, when: .afterEnumeration(found, boringSSLFailed: false)))
        let (protocols, weaknesses, chains) = await (grouped, probedWeaknesses, collectedChains)
        report.protocols = protocols
        report.features = weaknesses.features
        report.weaknesses = weaknesses.findings
        report.certificates = await session.scanCertificates(protocols, defaultChain: weaknesses.chain, tls13Chain: weaknesses.tls13Chain,
                                                             collected: chains, caRoots: options.extraRoots)
        report.certificates?.sctsInTLSExtension = weaknesses.sctsInTLSExtension
        let (early, late) = await (earlyHTTP, lateHTTP)
        if let http = early ?? late {
            report.http = http
        } else {
            // The early swift-nio-ssl handshake failed: our own client, on what the enumeration found.
            report.http = await session.run(HTTPCheck(enabled: options.http, when: .afterEnumeration(protocols, boringSSLFailed: true)))
        }
        // Last, when nothing else needs the server (see ClientRenegotiationCheck).
        if let i = report.weaknesses.firstIndex(where: { $0.id == .clientRenegotiation }),
           report.weaknesses[i].check.status == .notRun {
            report.weaknesses[i] = await session.run(ClientRenegotiationCheck(protocols: protocols))
        }
        report.anomalies = await session.anomalies.values
        Self.markNotEvaluated(&report)
        Self.noVersionNegotiated(&report, target: target, first: first)
    }

    /// A scan where no version was supported: a port that never sent a TLS byte is not a TLS
    /// port; otherwise an anomaly says so (the versions' own results say why).
    static func noVersionNegotiated(_ report: inout TargetReport, target: ScanTarget, first: ProbeOutcome) {
        guard report.protocols.allSatisfy({ $0.supported != true }) else { return }
        if case .closed(let f) = first, f.bytesReceived == 0 {
            // Not one TLS byte on any connection: whatever listens there does not speak TLS.
            report.status = .error("\(target): closed the connection without a TLS answer to every hello (is it a TLS port?)")
        } else if report.protocols.contains(where: { $0.check.status == .completed }) {
            report.anomalies.append("no SSL/TLS version could be negotiated")
        }
    }

    /// The reason of the best version's error when no version is supported and every version from
    /// SSL 3.0 up erred (SSL 2.0's own format often draws garbage from servers that do not speak it,
    /// which counts as a refusal there).
    static func everyVersionErred(_ protocols: [ProtocolResult]) -> String? {
        let tlsFamily = protocols.filter { $0.version != .sslv2 }
        guard !tlsFamily.isEmpty, protocols.allSatisfy({ $0.supported != true }),
              tlsFamily.allSatisfy({ $0.check.status == .error }) else { return nil }
        let best = tlsFamily.last!
        return "\(best.version): \(best.check.reason ?? "error")"
    }

    /// Features that said "not applicable" because a version seemed unsupported are "not evaluated"
    /// when that version's probes erred: the claim rests on an answer never seen. (TLSPolicy's
    /// WeaknessJudge applies the same rule to the findings.)
    static func markNotEvaluated(_ report: inout TargetReport) {
        guard let why = report.protocols.notEvaluatedReason else { return }
        if report.features?.check.status == .notApplicable { report.features?.check = .notEvaluated(why) }
    }

    func resolve(_ target: ScanTarget) async throws -> SocketAddress {
        let host = target.host
        let port = target.port
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(host, port: port)
            }
        } catch {
            throw ResolveError(message: "\(target): cannot resolve host '\(host)'")
        }
    }
}

struct ResolveError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

func seconds(_ t: TimeAmount) -> String {
    let s = Double(t.nanoseconds) / 1e9
    return s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
}

/// The first bytes of a non-TLS answer, readable: `"HTTP/1.1 400 Bad Request"` or hex.
func describeBytes(_ bytes: [UInt8]) -> String {
    let head = Array(bytes.prefix(40))
    let printable = head.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x0D || $0 == 0x0A || $0 == 0x09 }
    if printable, !head.isEmpty {
        let line = String(decoding: head, as: UTF8.self).split(whereSeparator: { $0 == "\r" || $0 == "\n" }).first.map(String.init) ?? ""
        return "'\(line)'"
    }
    return "bytes \(Array(head.prefix(16)).hexString)"
}

/// Things worth reporting once.
actor AnomalyLog {
    private(set) var values: [String] = []
    func add(_ s: String) { if !values.contains(s) { values.append(s) } }
}
