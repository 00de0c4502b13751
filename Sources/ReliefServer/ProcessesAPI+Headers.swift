import Foundation
import HTTPTypes
import Hummingbird
import Photogrammetry
import ReliefQueue

/// What the API reads from a request besides its body: the idempotency key and its replay,
/// `Prefer`, the route class of the rate limit, integer query parameters; and the blocking
/// helpers of its handlers.
extension ProcessesAPI {
    static let idempotencyKeyField = HTTPField.Name("Idempotency-Key")!

    /// The request's `Idempotency-Key`: 1 to 255 visible ASCII characters, or none.
    static func idempotencyKey(_ request: Request) throws -> String? {
        let values = request.headers[values: idempotencyKeyField]
        guard let key = values.first else { return nil }
        guard values.count == 1, (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError.badInput("the Idempotency-Key header must be one value of 1 to 255 visible ASCII characters")
        }
        return key
    }

    /// The answer to a submission whose key this user already used: the same job (201, as the
    /// first time, with `Idempotent-Replayed: true`) when the body is the same, 409 otherwise;
    /// nil when the key is new or its job was dismissed.
    func replayed(account: Account, key: String, bodySHA256: String, request: Request) async throws -> Response? {
        guard let first = try await accounts.submission(user: account.user, key: key) else { return nil }
        return try await replayed(first, account: account, key: key, bodySHA256: bodySHA256, request: request)
    }

    func replayed(_ first: IdempotentSubmission, account: Account, key: String, bodySHA256: String, request: Request) async throws -> Response? {
        guard first.bodySHA256 == bodySHA256 else {
            throw APIError(.conflict, type: "urn:relief:idempotency-key-reused", title: "Idempotency key reused",
                           detail: "the Idempotency-Key '\(key)' was used for job \(first.jobID) with another request body; use a new key for a new request")
        }
        guard let owner = try await owner(jobID: first.jobID), let job = try await queue.job(id: first.jobID) else { return nil }
        var headers: HTTPFields = [.location: "\(base(request))/jobs/\(job.id)", HTTPField.Name("Idempotent-Replayed")!: "true"]
        if Self.prefersAsync(request) { headers[Self.preferenceApplied] = "respond-async" }
        return jsonResponse(document: statusInfo(job, owner: owner, base: base(request), text: parser.clientText), status: .created, headers: headers)
    }

    static let preferenceApplied = HTTPField.Name("Preference-Applied")!

    /// True when a `Prefer` header asks for `respond-async`.
    static func prefersAsync(_ request: Request) -> Bool {
        request.headers[values: HTTPField.Name("Prefer")!].contains { value in
            value.split(separator: ",").contains { $0.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "respond-async" }
        }
    }

    /// True for the routes of output files (`/jobs/ID/files/NAME`).
    static func isFileRead(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return parts.count == 4 && parts[0] == "jobs" && parts[2] == "files"
    }

    /// An integer query parameter: absent is nil; present, it must be an integer in `range`
    /// (text that is no integer, or one out of range, is a 400, never the default).
    static func queryInteger(_ request: Request, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        let values = request.uri.queryParameters.getAll(name)
        guard let text = values.first else { return nil }
        guard values.count == 1 else { throw APIError.badInput("query parameter '\(name)' is given \(values.count) times") }
        guard let v = Int(text), range.contains(v) else {
            let shown = text.count > 30 ? String(text.prefix(30)) + "..." : text
            throw APIError.badInput("query parameter '\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(shown)'")
        }
        return v
    }
}

/// Runs blocking work (GDAL) on a Dispatch thread, not on the cooperative pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: work()) } }
}

/// The images whose acquisition a job's products show: a DSM's pair (reference first), a
/// PWH product's PAN image.
func acquisitionImages(_ job: Job) -> [String] {
    switch try? JobRequest.decode(job.payload) {
    case .dsm(let r)?: return r.images.map(\.path)
    case .pwh(let r)?: return (try? PWHInputs.find(product: r.product)).map { [$0.pan] } ?? []
    default: return []
    }
}

