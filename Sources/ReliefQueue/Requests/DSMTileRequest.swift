import Foundation
import Photogrammetry

/// One part of a fanned-out DSM (kind `dsm-tile`), made by the worker that split the parent
/// `dsm` job, never by a user: match and triangulate the reference tiles starting in `part`
/// (`DSMPipeline.matchPoints`) onto the parent's shared layout, and write the points to
/// `<output root>/<folder>/tile-<index>.points` (a temporary name, renamed when complete).
public struct DSMTileRequest: Codable, Sendable, Equatable {
    /// The parent's request, paths resolved.
    public var request: DSMRequest
    public var parent: Int64
    /// This part's number (0..<count) and the parts of the parent.
    public var index: Int
    public var count: Int
    /// `[x, y, width, height]` in the reference image: a block of whole matching tiles.
    public var part: [Int]
    public var layout: DSMLayout
    /// The staging folder the parts share, relative to the output root (`.relief-staging/fanout-<parent>`).
    public var folder: String

    public init(request: DSMRequest, parent: Int64, index: Int, count: Int, part: [Int], layout: DSMLayout, folder: String) {
        self.request = request
        self.parent = parent
        self.index = index
        self.count = count
        self.part = part
        self.layout = layout
        self.folder = folder
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case request, parent, index, count, part, layout, folder }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: CodingKeys.allCases.map(\.rawValue) + JobRequest.envelopeKeys, in: "dsm-tile request")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        request = try c.decode(DSMRequest.self, forKey: .request)
        parent = try c.decode(Int64.self, forKey: .parent)
        index = try c.decode(Int.self, forKey: .index)
        count = try c.decode(Int.self, forKey: .count)
        part = try c.decode([Int].self, forKey: .part)
        layout = try c.decode(DSMLayout.self, forKey: .layout)
        folder = try c.decode(String.self, forKey: .folder)
    }

    /// The point file of part `index` in a folder.
    public static func pointFile(folder: String, index: Int) -> String { folder + "/tile-\(index).points" }

    /// The shared staging folder of a parent's parts, relative to the output root.
    public static func folder(parent: Int64) -> String { ".relief-staging/fanout-\(parent)" }

    /// Idempotency key of part `index` of `parent`: a repeated split finds the same child.
    public static func idempotencyKey(parent: Int64, index: Int) -> String { "fanout-\(parent)-tile-\(index)" }

    func validateValues() throws {
        try request.validateValues()
        guard count >= 1, (0..<count).contains(index) else { throw RequestError.invalid(field: "index", "must be in 0..<\(count), got \(index)") }
        guard part.count == 4, part[2] > 0, part[3] > 0 else { throw RequestError.invalid(field: "part", "must be [x, y, width, height], got \(part)") }
        guard layout.tileSize >= 16, !layout.pairROIs.isEmpty, layout.pairROIs.allSatisfy({ $0.count == 4 }) else {
            throw RequestError.invalid(field: "layout", "malformed layout")
        }
    }
}
