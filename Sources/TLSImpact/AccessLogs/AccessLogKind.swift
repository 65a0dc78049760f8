/// The proxy whose access log `AccessLogSource` reads.
public enum AccessLogKind: String, Sendable, CaseIterable {
    /// nginx, with the `log_format` the server's `access_log` uses (`combined` by default).
    case nginx
    /// HAProxy, with the frontend's `log-format` (the `option httplog` format by default).
    case haproxy
    /// Envoy, with a JSON access log (`json_format`), one object per line.
    case envoy
}
