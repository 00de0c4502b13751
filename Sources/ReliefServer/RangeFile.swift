import Foundation
import Hummingbird

/// A byte range asked with `Range: bytes=...` (one range; a multi-range request is answered with
/// the whole file, as RFC 9110 allows).
struct ByteRange: Equatable {
    var start: Int
    var end: Int  // inclusive

    /// Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` against a file size. nil: no usable single
    /// range (serve the whole file); throws 416 when the range starts past the end.
    static func parse(_ header: String?, size: Int) throws -> ByteRange? {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard spec.count == 2 else { return nil }
        let r: ByteRange
        if spec[0].isEmpty {
            guard let n = Int(spec[1]), n > 0 else { return nil }
            r = ByteRange(start: max(0, size - n), end: size - 1)
        } else {
            guard let a = Int(spec[0]), a >= 0 else { return nil }
            if a >= size { throw unsatisfiable(size) }
            let b = spec[1].isEmpty ? size - 1 : (Int(spec[1]) ?? -1)
            guard b >= a else { return nil }
            r = ByteRange(start: a, end: min(b, size - 1))
        }
        guard r.start < size else { throw unsatisfiable(size) }
        return r
    }

    static func unsatisfiable(_ size: Int) -> APIError {
        APIError(.rangeNotSatisfiable, type: "urn:relief:range", title: "Range not satisfiable",
                 detail: "the file has \(size) bytes", headers: [.contentRange: "bytes */\(size)"])
    }
}

/// Largest body served in one response: a COG reader asks for small ranges; a whole-file GET of
/// a large product is streamed in chunks of this size.
let fileChunk = 1 << 20

/// Serves a file with `Accept-Ranges: bytes`, answering `Range` with 206 and `Content-Range`,
/// streaming in 1 MiB chunks (memory bounded whatever the file size).
func serveFile(_ path: String, contentType: String, request: Request) throws -> Response {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw APIError(.notFound, type: "urn:relief:no-such-file", title: "No such file", detail: "the output is gone")
    }
    let size = Int(handle.seekToEndOfFile())
    let range = try ByteRange.parse(request.headers[.range], size: size)
    let start = range?.start ?? 0, end = range?.end ?? size - 1
    var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes", .contentLength: "\(max(0, end - start + 1))"]
    if range != nil { headers[.contentRange] = "bytes \(start)-\(end)/\(size)" }
    let status: HTTPResponse.Status = range == nil ? .ok : .partialContent
    if request.method == .head {
        try? handle.close()
        return Response(status: status, headers: headers)
    }
    let body = ResponseBody { writer in
        defer { try? handle.close() }
        var offset = start
        while offset <= end {
            let n = min(fileChunk, end - offset + 1)
            try handle.seek(toOffset: UInt64(offset))
            let data = handle.readData(ofLength: n)
            guard !data.isEmpty else { break }
            try await writer.write(ByteBuffer(bytes: data))
            offset += data.count
        }
        try await writer.finish(nil)
    }
    return Response(status: status, headers: headers, body: body)
}
