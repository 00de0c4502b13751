import Foundation

/// Settings of `pipeline-worker serve`.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Folder of catalogue products (one sub-folder per identifier).
    public var catalogueRoot: String
    /// Folders the catalogue's symlinks may lead to (images stored outside the catalogue);
    /// workers need them as input roots too.
    public var dataRoots: [String] = []
    /// Folder the workers write products under (the queue's output root).
    public var outputRoot: String
    /// Base of the links in responses (default: `http://` + the request's Host).
    public var publicURL: String?
    /// What a DSM request may cost (resolution against the GSD, height margin, disparity
    /// search, output cells).
    public var admission = AdmissionLimits()
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes = 64 * 1024
    /// Requests per token per minute (429 beyond), output file reads apart.
    public var requestsPerMinute = 600
    /// Reads of output files (`/jobs/ID/files/NAME`, ranges included) per token per minute:
    /// GDAL makes about 40 range requests to open a COG through `/vsicurl/`.
    public var fileReadsPerMinute = 12_000
    /// Origins allowed to call the API from a browser page (CORS); `*`: any.
    public var corsOrigins: [String] = []
    /// Seconds an idle keep-alive connection is kept.
    public var idleTimeoutSeconds = 60
    /// Seconds a token's account is cached (a revoked token may work this long after `users revoke`).
    public var accountCacheSeconds = 5.0

    public init(catalogueRoot: String, outputRoot: String) {
        self.catalogueRoot = catalogueRoot
        self.outputRoot = outputRoot
    }
}
