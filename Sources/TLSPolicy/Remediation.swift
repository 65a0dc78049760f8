import TLSReport

/// What to change when a requirement fails, per platform. Facts about each platform's settings,
/// in our words; `--platform` picks one, the default gives the generic advice and names the others.
public enum Remediation {
    public static let platforms = ["nginx", "apache", "haproxy", "iis", "dotnet", "java", "openssl"]

    public static func steps(for key: String, platform: String?) -> [RemediationStep] {
        guard let entry = catalogue[key] else { return [] }
        var out = [RemediationStep(platform: "generic", steps: entry.generic)]
        if let platform {
            if let s = entry.platforms[platform] { out.append(RemediationStep(platform: platform, steps: s)) }
        } else {
            let named = platforms.filter { entry.platforms[$0] != nil }
            if !named.isEmpty {
                out[0].steps.append("Exact settings for \(named.joined(separator: ", ")): add --platform NAME.")
            }
        }
        return out
    }

    struct Entry {
        var generic: [String]
        var platforms: [String: [String]]
    }

    static let schannelProtocols = #"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols"#

    // "legacy-protocols" sentences that also tell a client what to change (ClientRemediation).
    static let javaClientProtocols =
        "Clients: -Djdk.tls.client.protocols=TLSv1.2,TLSv1.3 (and -Dhttps.protocols=TLSv1.2,TLSv1.3 for HttpsURLConnection)."
    static let dotnetTargetFramework =
        "Target .NET Framework 4.7 or later (or .NET 6+) and do not set ServicePointManager.SecurityProtocol: the OS default then applies."
    static let dotnetStrongCrypto =
        #"On older targets set DWORD SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 under HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319 and HKLM\SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319."#
    static let openSSLMinimumProtocol =
        "openssl.cnf [system_default_sect]: MinProtocol = TLSv1.2; in code: SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)."

    static let catalogue: [String: Entry] = [
        "legacy-protocols": Entry(
            generic: ["Turn off SSL 2.0, SSL 3.0, TLS 1.0 and TLS 1.1; keep TLS 1.2 and TLS 1.3 on."],
            platforms: [
                "nginx": ["ssl_protocols TLSv1.2 TLSv1.3;   (in http {} or each server {}; then nginx -t && nginx -s reload)"],
                "apache": ["SSLProtocol -all +TLSv1.2 +TLSv1.3   (mod_ssl; every VirtualHost inherits it unless it sets its own)"],
                "haproxy": ["global: ssl-default-bind-options ssl-min-ver TLSv1.2   (or 'ssl-min-ver TLSv1.2' on each bind line)"],
                "iis": [
                    "For each of 'SSL 2.0', 'SSL 3.0', 'TLS 1.0', 'TLS 1.1': under \(schannelProtocols)\\<protocol>\\Server set DWORD Enabled=0 and DisabledByDefault=1.",
                    "Under \(schannelProtocols)\\TLS 1.2\\Server set Enabled=1, DisabledByDefault=0; reboot (SChannel reads these at start).",
                ],
                "dotnet": [dotnetTargetFramework, dotnetStrongCrypto],
                "java": [
                    "Server: add TLSv1, TLSv1.1 (and SSLv3) to jdk.tls.disabledAlgorithms in $JAVA_HOME/conf/security/java.security (JDK 8u291+ and 11+ already do).",
                    javaClientProtocols,
                ],
                "openssl": [openSSLMinimumProtocol],
            ]),
        "tls13": Entry(
            generic: ["Offer TLS 1.3 (and TLS 1.2 for older clients)."],
            platforms: [
                "nginx": ["ssl_protocols TLSv1.2 TLSv1.3;   (needs OpenSSL 1.1.1 or later)"],
                "apache": ["SSLProtocol -all +TLSv1.2 +TLSv1.3   (Apache 2.4.37+ with OpenSSL 1.1.1+)"],
                "haproxy": ["ssl-max-ver TLSv1.3 on the bind line (HAProxy 1.8+ built with OpenSSL 1.1.1+)"],
                "iis": ["Windows Server 2022 or later: under \(schannelProtocols)\\TLS 1.3\\Server set Enabled=1, DisabledByDefault=0."],
                "java": ["JDK 11+ (or 8u261+) offers TLS 1.3; make sure jdk.tls.server.protocols does not leave it out."],
                "openssl": ["OpenSSL 1.1.1 or later; MaxProtocol must not be below TLSv1.3."],
            ]),
        "weak-suites": Entry(
            generic: ["Offer only ECDHE (or DHE ≥2048) suites with AES-GCM or ChaCha20-Poly1305; remove NULL, anonymous, export, RC4, DES, 3DES, MD5 and, where clients allow, CBC and RSA key exchange."],
            platforms: [
                "nginx": ["ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;", "ssl_prefer_server_ciphers off;   (all listed suites are strong)"],
                "apache": ["SSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305", "SSLHonorCipherOrder off"],
                "haproxy": ["global: ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"],
                "iis": ["Group Policy: Computer Configuration > Administrative Templates > Network > SSL Configuration Settings > SSL Cipher Suite Order: list only TLS_ECDHE_*_WITH_AES_*_GCM_* suites (or PowerShell Disable-TlsCipherSuite for each weak one); reboot."],
                "dotnet": ["The suites come from SChannel (Windows) or OpenSSL (Linux): fix them there; on .NET 5+ Linux, SslServerAuthenticationOptions.CipherSuitesPolicy can narrow them."],
                "java": ["Add the weak families to jdk.tls.disabledAlgorithms (e.g. RC4, DES, 3DES_EDE_CBC, anon, NULL, TLS_RSA_*) or set jdk.tls.server.cipherSuites to the ECDHE GCM/ChaCha20 list."],
                "openssl": ["openssl.cnf [system_default_sect]: CipherString = ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!3DES:!RC4"],
            ]),
        "certificate": Entry(
            generic: ["Serve a certificate from a publicly trusted CA for every name clients use, with the full chain (leaf first, then intermediates; the root is not needed), RSA ≥2048 or ECDSA P-256/P-384, signed with SHA-256 or better, and renew it before it expires."],
            platforms: [
                "nginx": ["ssl_certificate must point to the full chain file (leaf + intermediates, e.g. certbot's fullchain.pem); ssl_certificate_key to its key."],
                "apache": ["SSLCertificateFile with leaf + intermediates (Apache 2.4.8+; older: SSLCertificateChainFile for the intermediates)."],
                "haproxy": ["crt FILE on the bind line: one PEM with leaf, intermediates and key (or a crt-list for several names)."],
                "iis": ["Import the intermediates into the machine's 'Intermediate Certification Authorities' store and re-bind the new certificate in the site's HTTPS binding."],
                "java": ["Put the whole chain into the keystore entry (keytool -importcert of the chain as one PEM on the key's alias)."],
                "openssl": ["SSL_CTX_use_certificate_chain_file(ctx, \"fullchain.pem\")"],
            ]),
        "dh-parameters": Entry(
            generic: ["Use DH groups of at least 2048 bits (RFC 7919 ffdhe2048 or larger), or drop DHE suites in favour of ECDHE."],
            platforms: [
                "nginx": ["ssl_dhparam /etc/nginx/ffdhe2048.pem;   (the RFC 7919 group; or remove DHE from ssl_ciphers)"],
                "apache": ["Append the RFC 7919 ffdhe2048 parameters to the SSLCertificateFile (Apache 2.4.7+ picks them up), or drop DHE suites."],
                "haproxy": ["ssl-dh-param-file /etc/haproxy/ffdhe2048.pem and tune.ssl.default-dh-param 2048"],
                "java": ["-Djdk.tls.ephemeralDHKeySize=2048 (or 'ffdhe' groups via jdk.tls.namedGroups)"],
                "openssl": ["SSL_CTX_set_dh_auto(ctx, 1) (OpenSSL 3 picks a group matching the key size) or load an ffdhe2048 parameter file."],
            ]),
        "upgrade-tls-library": Entry(
            generic: ["Upgrade the TLS library (OpenSSL, or the appliance's firmware): these weaknesses are fixed in every maintained release."],
            platforms: [
                "nginx": ["Rebuild or upgrade nginx against a maintained OpenSSL (3.0 or later), then restart."],
                "openssl": ["Upgrade to a maintained OpenSSL (3.0 or later) and restart every service linked to it."],
            ]),
        "secure-renegotiation": Entry(
            generic: ["Upgrade the TLS library: RFC 5746 secure renegotiation is in every TLS stack since 2010; until then disable renegotiation."],
            platforms: [
                "iis": ["Install current Windows updates (MS10-049 added RFC 5746 to SChannel)."],
                "openssl": ["OpenSSL 0.9.8m or later supports RFC 5746; current releases refuse client-initiated renegotiation by default."],
            ]),
        "compression": Entry(
            generic: ["Turn TLS compression off (CRIME)."],
            platforms: [
                "nginx": ["Use nginx ≥1.3.2 / OpenSSL ≥1.0.0, which disable TLS compression."],
                "apache": ["SSLCompression off"],
                "openssl": ["SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION)"],
            ]),
        "ocsp-stapling": Entry(
            generic: ["Staple OCSP responses so clients need not ask the CA."],
            platforms: [
                "nginx": ["ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate /path/chain.pem; resolver 1.1.1.1;"],
                "apache": ["SSLUseStapling on   and   SSLStaplingCache shmcb:/var/run/ocsp(128000) (outside VirtualHost)"],
                "haproxy": ["ocsp-update on on the crt-list line (HAProxy 2.8+), or feed a .ocsp file next to the certificate"],
                "iis": ["IIS 7.5+ staples OCSP by default when the certificate has an OCSP URL."],
            ]),
        "hsts": Entry(
            generic: ["Send Strict-Transport-Security: max-age=63072000; includeSubDomains (two years; at least 180 days) on every HTTPS response."],
            platforms: [
                "nginx": [#"add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;"#],
                "apache": [#"Header always set Strict-Transport-Security "max-age=63072000; includeSubDomains"   (mod_headers)"#],
                "haproxy": [#"http-response set-header Strict-Transport-Security "max-age=63072000; includeSubDomains""#],
                "iis": ["IIS 10 1709+: the site's HSTS settings (Enabled, max-age 63072000, includeSubDomains) in IIS Manager or applicationHost.config."],
            ]),
        "groups": Entry(
            generic: ["Offer X25519MLKEM768 (where the library has it), X25519, secp256r1 and secp384r1 only."],
            platforms: [
                "nginx": ["ssl_ecdh_curve X25519MLKEM768:X25519:prime256v1:secp384r1;   (X25519MLKEM768 needs OpenSSL 3.5+)"],
                "apache": ["SSLOpenSSLConfCmd Curves X25519:prime256v1:secp384r1"],
                "haproxy": ["ssl-default-bind-curves X25519:P-256:P-384"],
                "java": ["-Djdk.tls.namedGroups=x25519,secp256r1,secp384r1"],
                "openssl": ["openssl.cnf: Groups = X25519:P-256:P-384"],
            ]),
    ]
}
