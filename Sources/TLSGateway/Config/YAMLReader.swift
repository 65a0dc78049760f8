import Foundation
import NIOCore
import TLSTelemetry
import Yams

/// Turns the YAML tree into a `GatewayConfiguration`, checking every value on the way.
struct YAMLReader {
    let file: String
    let base: String

    static let topKeys: Set<String> = ["listeners", "admin", "upstream", "certificates", "policy", "exceptions", "records", "tls", "drainTimeout", "idleTimeout", "clientCheck"]
    static let policyKeys: Set<String> = ["minimumVersion", "mode", "cutoff", "brownouts", "brownoutResponse", "explain", "deprecationLink"]

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }

    mutating func read(_ root: ConfigNode) throws(GatewayConfigError) -> GatewayConfiguration {
        let top = try root.mapping(allowed: Self.topKeys)
        let listeners = try readListeners(top, root)
        let upstream = try readUpstream(top, root, listeners: listeners)
        let exceptions = try readExceptions(top)
        let records = try readRecords(top)
        let (defaultPolicy, noSNI, hosts) = try readPolicies(top)
        let clientCheck = try readClientCheck(top, listeners: listeners)
        // Rules across sections.
        if exceptions.contains(where: \.isAPIKey) && records.apiKeyHeader == nil {
            throw root.error("API-key exceptions need 'records.apiKeyHeader' (the request header that carries the key)")
        }
        if exceptions.contains(where: \.isAPIKey) && upstream?.mode == .tcp {
            throw root.error("API-key exceptions need an HTTP upstream ('upstream.mode: http')")
        }

        if clientCheck?.path != nil && upstream?.mode == .tcp {
            throw root.error("'clientCheck.path' needs an HTTP upstream: a TCP relay has no paths (use a clientCheck listener)")
        }

        let drain = try top["drainTimeout"].map { n throws(GatewayConfigError) in Self.amount(try n.duration()) } ?? .seconds(30)
        let idle = try top["idleTimeout"].map { n throws(GatewayConfigError) in Self.amount(try n.duration()) } ?? .seconds(60)
        if idle <= .zero { throw top["idleTimeout"]!.error("must be more than 0") }

        return GatewayConfiguration(
            listeners: listeners, admin: try readAdmin(top), upstream: upstream, certificates: try readCertificates(top, root),
            defaultPolicy: defaultPolicy, noSNIPolicy: noSNI, hostPolicies: hosts, exceptions: exceptions,
            records: records, tls: try readTLS(top), drainTimeout: drain, idleTimeout: idle, clientCheck: clientCheck)
    }

    func readListeners(_ top: [String: ConfigNode], _ root: ConfigNode) throws(GatewayConfigError) -> [GatewayConfiguration.Listener] {
        guard let listenersNode = top["listeners"] else { throw root.error("missing 'listeners' (at least one address to accept TLS on)") }
        var listeners: [GatewayConfiguration.Listener] = []
        for (index, item) in try listenersNode.sequence().enumerated() {
            let m = try item.mapping(allowed: ["name", "address", "clientCheck"])
            guard let address = m["address"] else { throw item.error("missing 'address' (host:port)") }
            let (host, port) = try address.address()
            let name = try m["name"]?.string() ?? "listener-\(index)"
            if listeners.contains(where: { $0.name == name }) { throw item.error("duplicate listener name '\(name)'") }
            let check = try m["clientCheck"]?.bool() ?? false
            listeners.append(.init(name: name, host: host, port: port, clientCheck: check))
        }
        if listeners.isEmpty { throw listenersNode.error("at least one listener is needed") }
        return listeners
    }

    func readAdmin(_ top: [String: ConfigNode]) throws(GatewayConfigError) -> GatewayConfiguration.Listener? {
        var admin: GatewayConfiguration.Listener?
        if let adminNode = top["admin"] {
            let m = try adminNode.mapping(allowed: ["address"])
            guard let address = m["address"] else { throw adminNode.error("missing 'address' (host:port)") }
            let (host, port) = try address.address()
            admin = .init(name: "admin", host: host, port: port)
        }
        return admin
    }

    /// Optional when every listener only serves the client check.
    func readUpstream(_ top: [String: ConfigNode], _ root: ConfigNode, listeners: [GatewayConfiguration.Listener]) throws(GatewayConfigError) -> GatewayConfiguration.Upstream? {
        var upstream: GatewayConfiguration.Upstream?
        if let upstreamNode = top["upstream"] {
            let um = try upstreamNode.mapping(allowed: ["address", "mode", "connectTimeout", "responseTimeout", "maxIdleConnections"])
            guard let upstreamAddress = um["address"] else { throw upstreamNode.error("missing 'address' (host:port)") }
            let (uhost, uport) = try upstreamAddress.address()
            if uport == 0 { throw upstreamAddress.error("the upstream port cannot be 0") }
            var u = GatewayConfiguration.Upstream(host: uhost == "0.0.0.0" ? "127.0.0.1" : uhost, port: uport)
            if let n = um["mode"] { u.mode = try n.choice(GatewayConfiguration.Upstream.Mode.self, [.http, .tcp]) }
            if let n = um["connectTimeout"] { u.connectTimeout = Self.amount(try n.duration()) }
            if let n = um["responseTimeout"] { u.responseTimeout = Self.amount(try n.duration()) }
            if let n = um["maxIdleConnections"] { u.maxIdleConnections = try n.int(in: 0...100_000) }
            upstream = u
        } else if !listeners.allSatisfy(\.clientCheck) {
            throw root.error("missing 'upstream' (where allowed traffic goes)")
        }
        return upstream
    }

    func readCertificates(_ top: [String: ConfigNode], _ root: ConfigNode) throws(GatewayConfigError) -> [GatewayConfiguration.Certificate] {
        guard let certsNode = top["certificates"] else { throw root.error("missing 'certificates' (at least a default chain and key)") }
        var certificates: [GatewayConfiguration.Certificate] = []
        for item in try certsNode.sequence() {
            let m = try item.mapping(allowed: ["hosts", "default", "chain", "key"])
            guard let chain = m["chain"], let key = m["key"] else { throw item.error("needs 'chain' (PEM certificate chain) and 'key' (PEM private key)") }
            let chainPath = resolve(try chain.string())
            let keyPath = resolve(try key.string())
            for (node, path) in [(chain, chainPath), (key, keyPath)] where !FileManager.default.isReadableFile(atPath: path) {
                throw node.error("cannot read \(path)")
            }
            let hosts = try (m["hosts"]?.strings() ?? []).map { $0.lowercased() }
            let isDefault = try m["default"]?.bool() ?? false
            if hosts.isEmpty && !isDefault { throw item.error("give 'hosts' (server names it serves) or 'default: true'") }
            certificates.append(.init(hosts: hosts, isDefault: isDefault, chainPath: chainPath, keyPath: keyPath))
        }
        if certificates.isEmpty { throw certsNode.error("at least one certificate is needed") }
        return certificates
    }

    func readRecords(_ top: [String: ConfigNode]) throws(GatewayConfigError) -> GatewayConfiguration.Records {
        var records = GatewayConfiguration.Records()
        if let recNode = top["records"] {
            let m = try recNode.mapping(allowed: ["database", "postgres", "retention", "queueCapacity", "apiKeyHeader",
                                                  "apiKeyStorage", "gateway"])
            if m["database"] != nil && m["postgres"] != nil {
                throw m["postgres"]!.error("'records.database' and 'records.postgres' cannot both be set: one record store per gateway")
            }
            if let n = m["database"] { records.databasePath = resolve(try n.string()) }
            if let n = m["postgres"] {
                let text = try n.string()
                do {
                    _ = try PostgresURL(parsing: text)
                } catch {
                    throw n.error("\(error.detail) (in \(error.path))")
                }
                records.postgresURL = text
            }
            if let n = m["retention"] {
                let seconds = try n.duration()
                if seconds < 86_400 { throw n.error("must be at least 1d: records are kept and dropped by the day") }
                records.retention = .seconds(seconds)
            }
            if let n = m["queueCapacity"] { records.queueCapacity = try n.int(in: 1...10_000_000) }
            if let n = m["apiKeyHeader"] { records.apiKeyHeader = try n.string() }
            if let n = m["gateway"] { records.gatewayName = try n.string() }
            if let n = m["apiKeyStorage"] { records.apiKeyStorage = try n.choice(GatewayConfiguration.APIKeyStorage.self, [.hashed, .plain, .none]) }
        }
        return records
    }

    func readTLS(_ top: [String: ConfigNode]) throws(GatewayConfigError) -> GatewayConfiguration.TLSSettings {
        var tls = GatewayConfiguration.TLSSettings()
        if let tlsNode = top["tls"] {
            let m = try tlsNode.mapping(allowed: ["strictCiphers", "legacyCiphers", "checkCiphers", "helloTimeout", "maxHelloBytes"])
            if let n = m["strictCiphers"] { tls.strictCiphers = try n.string() }
            if let n = m["checkCiphers"] { tls.checkCiphers = try n.string() }
            if let n = m["legacyCiphers"] { tls.legacyCiphers = try n.string() }
            if let n = m["helloTimeout"] { tls.helloTimeout = Self.amount(try n.duration()) }
            if let n = m["maxHelloBytes"] { tls.maxHelloBytes = try n.int(in: 512...65536) }
        }
        return tls
    }

    func readClientCheck(_ top: [String: ConfigNode], listeners: [GatewayConfiguration.Listener]) throws(GatewayConfigError) -> GatewayConfiguration.ClientCheckSettings? {
        var clientCheck: GatewayConfiguration.ClientCheckSettings?
        if let ccNode = top["clientCheck"] {
            let m = try ccNode.mapping(allowed: ["path", "policyHost", "lookup", "historySize", "historyTTL"])
            var cc = GatewayConfiguration.ClientCheckSettings()
            if let n = m["path"] {
                let path = try n.string()
                guard path.hasPrefix("/"), path.count > 1, !path.contains("?"), !path.contains("#") else {
                    throw n.error("'\(path)' is not a path like /tls-check")
                }
                cc.path = path.hasSuffix("/") ? String(path.dropLast()) : path
            }
            if let n = m["policyHost"] { cc.policyHost = try n.string().lowercased() }
            if let n = m["lookup"] {
                let (host, port) = try n.address()
                cc.lookup = .init(name: "clientcheck-lookup", host: host, port: port)
            }
            if let n = m["historySize"] { cc.historySize = try n.int(in: 1...10_000_000) }
            if let n = m["historyTTL"] { cc.historyTTL = Self.amount(try n.duration()) }
            if cc.historyTTL <= .zero { throw m["historyTTL"]!.error("must be more than 0") }
            clientCheck = cc
        } else if listeners.contains(where: \.clientCheck) {
            clientCheck = GatewayConfiguration.ClientCheckSettings()
        }
        return clientCheck
    }

    static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1_000_000_000)) }
}

