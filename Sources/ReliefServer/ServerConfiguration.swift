import Foundation

/// Settings of `pipeline-worker serve`.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Folder of catalogue products (one sub-folder per identifier).
    public var catalogueRoot: String
    /// Folder the workers write products under (the queue's output root).
    public var outputRoot: String
    /// Base of the links in responses (default: `http://` + the request's Host).
    public var publicURL: String?
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes = 64 * 1024
    /// Requests per token per minute (429 beyond).
    public var requestsPerMinute = 600
    /// Seconds an idle keep-alive connection is kept.
    public var idleTimeoutSeconds = 60
    /// Seconds a token's account is cached (a revoked token may work this long after `users revoke`).
    public var accountCacheSeconds = 5.0

    public init(catalogueRoot: String, outputRoot: String) {
        self.catalogueRoot = catalogueRoot
        self.outputRoot = outputRoot
    }
}
