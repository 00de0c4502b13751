import Crypto
import Foundation

/// Who a bearer token belongs to.
public struct Account: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        /// Sees and dismisses their own jobs only.
        case user
        /// Sees and dismisses every job of their entity.
        case referent
    }
    public let user: String
    public let entity: String
    public let role: Role

    /// True when this account may see a job submitted by `owner` of `entity`.
    public func canSee(owner: String, entity: String) -> Bool {
        entity == self.entity && (role == .referent || owner == user)
    }
}

/// Bearer tokens: 32 random bytes as 64 hex digits, stored as their SHA-256 (hex). A token is
/// shown once, when the user is added; the database alone cannot give it back.
public enum Token {
    public static func generate() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Names of users and entities: letters, digits, `.`, `_`, `-` (they appear in output folders).
func isValidName(_ s: String) -> Bool {
    !s.isEmpty && s.count <= 64 && s.first != "." && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
}
