import Foundation
import Hummingbird

/// An error answered as an OGC API exception (RFC 7807 problem details: `type`, `title`,
/// `status`, `detail`). Every failure a client can cause goes through this type, so responses
/// never carry a stack trace or an internal error's text it was not meant to see.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// An OGC exception URI, or a short local one.
    public let type: String
    public let title: String
    public let detail: String
    /// Extra headers (`WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.headers = headers
    }

    public var description: String { "\(status.code) \(title): \(detail)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = jsonResponse(document: ExceptionDocument(type: type, title: title, status: Int(status.code), detail: detail), status: status)
        response.headers[.contentType] = "application/problem+json"
        for field in headers { response.headers.append(field) }
        return response
    }

    static let ogc = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"

    static func unauthorized(_ detail: String) -> APIError {
        APIError(.unauthorized, type: "urn:relief:unauthorized", title: "Unauthorized", detail: detail,
                 headers: [.wwwAuthenticate: #"Bearer realm="relief""#])
    }
    static func noSuchJob(_ id: String) -> APIError {
        APIError(.notFound, type: ogc + "no-such-job", title: "No such job", detail: "no job '\(id)' visible to this account")
    }
    static func noSuchProcess(_ id: String) -> APIError {
        APIError(.notFound, type: ogc + "no-such-process", title: "No such process",
                 detail: "no process '\(id)': this server runs \(ProcessDescriptions.ids.joined(separator: ", "))")
    }
    static func resultNotReady(_ id: String, state: String) -> APIError {
        APIError(.notFound, type: ogc + "result-not-ready", title: "Result not ready", detail: "job \(id) is \(state): results exist once it is successful")
    }
    /// The results of a failed job: its exception (what the worker reported, client wording).
    static func jobFailed(_ id: Int64, message: String) -> APIError {
        APIError(.internalServerError, type: "urn:relief:job-failed", title: "Job failed", detail: "job \(id) failed: \(message)")
    }
    /// A request whose estimated cost exceeds a limit of this server (not a quota: a smaller
    /// or coarser request passes).
    static func costExceeded(_ detail: String) -> APIError {
        APIError(.badRequest, type: "urn:relief:cost-limit", title: "Request too costly", detail: detail)
    }
    static func badInput(_ detail: String) -> APIError {
        APIError(.badRequest, type: "urn:relief:invalid-input", title: "Invalid input", detail: detail)
    }
    static func malformed(_ detail: String) -> APIError {
        APIError(.badRequest, type: "urn:relief:malformed-json", title: "Malformed JSON", detail: detail)
    }
    static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, type: "urn:relief:body-too-large", title: "Request body too large",
                 detail: "the request body exceeds \(limit) bytes")
    }
    static func quotaExceeded(_ detail: String) -> APIError {
        APIError(.forbidden, type: "urn:relief:quota-exceeded", title: "Quota exceeded", detail: detail)
    }
    static func internalError(_ what: String) -> APIError {
        APIError(.internalServerError, type: "urn:relief:internal", title: "Internal error", detail: what)
    }
}

/// A JSON response (sorted keys, slashes unescaped) from Foundation values (the static
/// documents: process descriptions, OpenAPI); the others are `Encodable` types (`OGCDocuments`).
func jsonResponse(_ value: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    var fields = headers
    if fields[.contentType] == nil { fields[.contentType] = "application/json" }
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// ISO 8601 UTC text of a queue time (seconds since 1970).
/// (`gmtime_r`, no formatter object: this runs for every status poll.)
func iso8601(_ seconds: Double) -> String {
    var t = time_t(seconds.rounded(.down))
    var tm = tm()
    gmtime_r(&t, &tm)
    // Rounded, not truncated: 34.3 s is held as 34.29999... and reads 34.300.
    let millis = min(999, Int(((seconds - seconds.rounded(.down)) * 1000).rounded()))
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                  Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), millis)
}
