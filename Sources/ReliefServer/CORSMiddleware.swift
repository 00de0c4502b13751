import Foundation
import Hummingbird

/// Cross-origin access for portal pages served elsewhere: a request whose `Origin` is one of
/// the configured origins (or any, with `*`) gets `Access-Control-Allow-Origin` and the
/// headers a page needs to read (`Location`, `Content-Range`, `Retry-After`...); a preflight
/// (`OPTIONS` with `Access-Control-Request-Method`) is answered here, before authentication,
/// with 204. Other origins get no CORS headers (the browser then refuses the page the answer).
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>

    static var allowMethods: String { "GET, HEAD, POST, DELETE, OPTIONS" }
    static var allowHeaders: String { "Authorization, Content-Type, Range, Idempotency-Key, Prefer" }
    static var exposeHeaders: String { "Location, Content-Range, Content-Length, Accept-Ranges, Retry-After, Preference-Applied, Idempotent-Replayed" }

    func allowed(_ origin: String?) -> String? {
        guard let origin, !origins.isEmpty else { return nil }
        if origins.contains("*") { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        guard let allow = allowed(origin) else { return try await next(request, context) }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            return Response(status: .noContent, headers: [
                .accessControlAllowOrigin: allow, .accessControlAllowMethods: Self.allowMethods,
                .accessControlAllowHeaders: Self.allowHeaders, .accessControlMaxAge: "600", .vary: "Origin",
            ])
        }
        var response: Response
        do { response = try await next(request, context) } catch let e as HTTPResponseError {
            // Refusals too: a page must be able to read why it was refused.
            response = try e.response(from: request, context: context)
        }
        response.headers[.accessControlAllowOrigin] = allow
        response.headers[.accessControlExposeHeaders] = Self.exposeHeaders
        response.headers[.vary] = "Origin"
        return response
    }
}
