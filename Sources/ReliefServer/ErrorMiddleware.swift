import Foundation
import Hummingbird
import Logging

/// Turns every error into an OGC exception body (no internal text, no stack trace).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            throw e
        } catch let e as HTTPError {
            // The router's own errors (unknown path, wrong method).
            throw APIError(e.status, type: "urn:relief:http", title: e.status.reasonPhrase,
                           detail: e.body ?? (e.status == .notFound ? "no resource at \(request.uri.path)" : e.status.reasonPhrase))
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError.internalError("the server could not complete the request (logged); retry later")
        }
    }
}

/// The application serving `api` on the configured address.
public func makeApplication(api: ProcessesAPI, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    let c = api.config
    return Application(
        router: api.router(),
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(c.idleTimeoutSeconds)))),
        configuration: .init(address: .hostname(c.host, port: c.port), serverName: "relief"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? c.port) },
        logger: api.logger)
}

/// Serves until SIGTERM or SIGINT (graceful shutdown of open connections).
public func runServer(api: ProcessesAPI, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
    try await makeApplication(api: api, onServerRunning: onServerRunning).runService()
}
