import Crypto

/// How API keys are hashed in records and exceptions.
public enum APIKeyHash {
    /// Lowercase hex SHA-256 of the key's UTF-8 bytes.
    public static func sha256Hex(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
