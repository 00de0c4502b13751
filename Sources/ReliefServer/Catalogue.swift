import Foundation
import Photogrammetry
import Raster
import ReliefQueue

/// The catalogue: a folder whose sub-folders are products, named by identifier. A stereo pair
/// product holds its two images (reference first in name order) with their RPCs (embedded, or
/// sidecars that `RPCModel.load` finds); a Pléiades product holds its `DIM_*.XML`.
/// Clients name products by identifier only: anything that looks like a path is refused.
public struct Catalogue: Sendable {
    public let root: String
    static let imageExtensions: Set<String> = ["tif", "tiff", "jp2", "ntf", "vrt"]

    /// `root` may be relative (to the working directory at start, as `serve --catalogue-root
    /// catalogue` gives it): it is made absolute and resolved once, here, so that the paths
    /// built from it are the ones the path confinement compares.
    public init(root: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue, let resolved = realpath(root, nil) else {
            throw APIError.internalError("catalogue root '\(root)' is not a folder")
        }
        defer { free(resolved) }
        self.root = String(cString: resolved)
    }

    /// Checks an identifier: letters, digits, `.`, `_`, `-`; no `/`, no leading dot.
    static func checkIdentifier(_ id: String, input: String) throws {
        if id.contains("/") || id.contains("\\") || id.hasPrefix("~") {
            throw APIError.badInput("input '\(input)': '\(id)' looks like a file path; name a catalogue product by its identifier (see the process description)")
        }
        guard isValidName(id) else {
            throw APIError.badInput("input '\(input)': '\(id)' is not a product identifier (letters, digits, '.', '_', '-')")
        }
    }

    /// The folder of a product.
    func folder(of id: String, input: String) throws -> String {
        try Self.checkIdentifier(id, input: input)
        let path = root + "/" + id
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw APIError.badInput("input '\(input)': no catalogue product '\(id)'")
        }
        return path
    }

    /// The images of a stereo pair product, reference first.
    public func pairImages(_ id: String, input: String = "pair") throws -> [String] {
        let folder = try folder(of: id, input: input)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { Self.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
            .sorted()
        guard names.count == 2 else {
            throw APIError.badInput("input '\(input)': product '\(id)' is not a stereo pair (it holds \(names.count) images, a pair needs 2)")
        }
        return names.map { folder + "/" + $0 }
    }

    /// The DIMAP file of a Pléiades product.
    public func dimap(_ id: String, input: String = "product") throws -> String {
        let folder = try folder(of: id, input: input)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            $0.uppercased().hasPrefix("DIM_") && $0.uppercased().hasSuffix(".XML")
        }.sorted()
        guard let first = names.first else { throw APIError.badInput("input '\(input)': product '\(id)' holds no DIM_*.XML") }
        return folder + "/" + first
    }
}

/// A validated execution request: what is queued and what it costs.
struct PlannedJob: Sendable {
    var request: JobRequest
    var areaKm2: Double
    /// GeoJSON polygon coordinates of the ROI footprint.
    var footprint: [[[Double]]]
}

/// The ground area a request covers: the footprint of its ROI (the whole reference image when
/// none) localised through the reference image's RPC at the request's height (the RPC's height
/// offset when none), its area in a local tangent plane (`GroundPolygon.areaSquareKilometres`).
/// - Complexity: O((width + height) / 64) RPC localisations.
func groundFootprint(image: String, roi: [Int]?, height: Double?, clientText: ClientText) throws -> GroundFootprint {
    let model: RPCModel
    let bounds: Window
    do {
        model = try RPCModel.load(image: image)
        bounds = try Dataset(path: image).bounds
    } catch {
        throw APIError.badInput("the reference image has no usable RPC model: \(clientText.scrub("\(error)"))")
    }
    // Origins and sizes are range checked by the parser (`ExecuteRequestParser.roi`); the
    // sums are still formed with overflow reported, so that no ROI can trap here.
    let window = roi.map { Window(x: $0[0], y: $0[1], width: $0[2], height: $0[3]) } ?? bounds
    let (right, o1) = window.x.addingReportingOverflow(window.width)
    let (bottom, o2) = window.y.addingReportingOverflow(window.height)
    guard !o1, !o2, window.x >= 0, window.y >= 0, window.width > 0, window.height > 0,
          right <= bounds.width, bottom <= bounds.height else {
        throw APIError.badInput("input 'roi': \(roi ?? []) goes beyond the reference image (\(bounds.width) x \(bounds.height) pixels)")
    }
    let h = height ?? model.coefficients.heightOffset
    let fp: Footprint
    do { fp = try model.footprint(of: window, height: h) } catch {
        throw APIError.badInput("the ROI footprint cannot be computed: \(clientText.scrub("\(error)"))")
    }
    var ring = fp.polygon.vertices.map { [$0.x, $0.y] }
    if let first = ring.first { ring.append(first) }
    return GroundFootprint(km2: fp.areaSquareKilometres, coordinates: [ring], window: window, model: model)
}

/// A request's ground area and what it was computed from.
struct GroundFootprint {
    var km2: Double
    /// GeoJSON polygon coordinates.
    var coordinates: [[[Double]]]
    /// The ROI (the whole image when none), reference pixels.
    var window: Window
    /// The reference image's RPC model.
    var model: RPCModel
}
