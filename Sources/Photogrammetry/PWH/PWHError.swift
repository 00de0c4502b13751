import Foundation

/// What can go wrong in the PWH recipe before the radiometric and ortho steps take over (their
/// errors, `RadiometryError`, `OrthoError`, `GeometryError`, `RPCError`, `RasterError`, propagate
/// as they are). Each case names the folder, file or field involved.
public enum PWHError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The product folder does not exist or is not a folder.
    case productNotFound(String)
    /// The product holds no DIMAP of this kind ("PAN" or "MS"); `found` lists the DIMAP files seen.
    case missingImage(kind: String, product: String, found: [String])
    /// Several DIMAP files of one kind (a product with several acquisitions): give --pan / --ms.
    case ambiguousImage(kind: String, product: String, candidates: [String])
    /// A DIMAP whose image GDAL cannot open and with no single IMG_* file beside it.
    case imageNotFound(dimap: String, reason: String)
    /// A request field outside its domain (missing PAN/MS, unknown method, bad resolution, ...).
    case invalidRequest(field: String, value: String, reason: String)
    /// The caller asked to stop; nothing was left in the output folder.
    case cancelled

    public var description: String {
        switch self {
        case .productNotFound(let path): "the product folder \(path) does not exist"
        case .missingImage(let kind, let product, let found):
            "no \(kind) image in the product \(product): no DIM_*_\(kind == "PAN" ? "P" : kind)_*.XML found"
                + (found.isEmpty ? " (no DIM_*.XML at all)" : " (DIMAP files seen: \(found.joined(separator: ", ")))")
        case .ambiguousImage(let kind, let product, let candidates):
            "several \(kind) images in the product \(product) (\(candidates.joined(separator: ", "))): name them with --pan and --ms"
        case .imageNotFound(let dimap, let reason): "cannot find the image of \(dimap): \(reason)"
        case .invalidRequest(let field, let value, let reason): "invalid \(field) '\(value)': \(reason)"
        case .cancelled: "the PWH recipe was cancelled"
        }
    }
}

extension PWHError: LocalizedError {
    public var errorDescription: String? { description }
}
