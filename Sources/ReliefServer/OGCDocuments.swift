import Foundation
import Hummingbird

/// A link of an OGC API document.
struct OGCLink: Encodable, Sendable, Equatable {
    var href: String
    var rel: String
    var type: String?
    var title: String?
}

/// The OGC statusInfo document of a job (`/jobs/ID`, the list's items, a submission's answer),
/// with this server's `relief:areaKm2` and `relief:owner`.
struct StatusInfo: Encodable, Sendable, Equatable {
    var type = "process"
    var jobID: String
    var processID: String
    /// accepted, running, successful, failed, dismissed.
    var status: String
    var message: String
    /// Percent, 0...100.
    var progress: Int
    var created: String
    var updated: String
    var finished: String?
    var areaKm2: Double
    var owner: String
    var links: [OGCLink]

    enum CodingKeys: String, CodingKey {
        case type, jobID, processID, status, message, progress, created, updated, finished, links
        case areaKm2 = "relief:areaKm2", owner = "relief:owner"
    }
}

/// `/jobs`: a page of the jobs an account sees.
struct JobList: Encodable, Sendable {
    var jobs: [StatusInfo]
    var links: [OGCLink]
}

/// `/conformance`.
struct ConformanceDeclaration: Encodable, Sendable {
    var conformsTo: [String]
}

/// `/`: the landing page.
struct LandingPage: Encodable, Sendable {
    var title: String
    var description: String
    var links: [OGCLink]
}

/// `/quota`: an entity's quota and use (km²).
struct QuotaDocument: Encodable, Sendable {
    var entity: String
    var quotaKm2: Double
    var usedKm2: Double
    var reservedKm2: Double
    var remainingKm2: Double
    var jobsInFlight: Int
}

/// `/jobs/ID/results`: each output by reference.
struct ResultsDocument: Encodable, Sendable {
    struct Reference: Encodable, Sendable, Equatable {
        var href: String
        var type: String
    }
    var outputs: [String: Reference]

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(outputs)
    }
}

/// An OGC API exception (RFC 7807 problem details).
struct ExceptionDocument: Encodable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
}

/// A JSON response (sorted keys, slashes unescaped) of a document.
func jsonResponse(document value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? e.encode(value)) ?? Data("{}".utf8)
    var fields = headers
    if fields[.contentType] == nil { fields[.contentType] = "application/json" }
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
