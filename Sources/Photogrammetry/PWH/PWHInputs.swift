import Foundation
import Raster

/// The PAN and MS images of one acquisition, with where their RPC models and radiometric
/// metadata come from: what the PWH recipe reads.
public struct PWHInputs: Sendable, Equatable {
    /// Images GDAL opens (a DIMAP `DIM_*.XML` itself, or an image file).
    public var pan: String
    public var ms: String
    /// RPC model files (full scene; crop offsets applied); nil: `RPCModel.load(image:)` finds them.
    public var panModel: String?
    public var msModel: String?
    /// Radiometric metadata (DIMAP v2, Pléiades DIMAP v1.4 or OSSIM `.geom`).
    public var panMetadata: String
    public var msMetadata: String
    /// Identifier of the derived product (file names and STAC Item id).
    public var id: String

    public init(pan: String, ms: String, panModel: String?, msModel: String?, panMetadata: String, msMetadata: String, id: String) {
        (self.pan, self.ms, self.panModel, self.msModel) = (pan, ms, panModel, msModel)
        (self.panMetadata, self.msMetadata, self.id) = (panMetadata, msMetadata, id)
    }

    /// The inputs of a Pléiades / SPOT 6-7 primary product folder, laid out as the providers
    /// deliver it: somewhere below the folder, `IMG_<mission>_P_<n>/` and `IMG_<mission>_MS_<n>/`
    /// each hold a `DIM_<...>_P_<...>.XML` (or `_MS_`) DIMAP, its `RPC_*.XML` and the image tiles
    /// `IMG_*_R<i>C<j>.TIF|JP2`. The image is the DIMAP itself when GDAL opens it (its DIMAP driver
    /// mosaics the tiles), else the single `IMG_*` file beside it. Pan-sharpened (`_PMS_`) and
    /// other DIMAPs are ignored.
    /// - Throws: `PWHError.productNotFound`, `.missingImage`, `.ambiguousImage`, `.imageNotFound`.
    public static func find(product folder: String) throws -> PWHInputs {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw PWHError.productNotFound(folder)
        }
        var dimaps: [String] = []
        if let walker = FileManager.default.enumerator(atPath: folder) {
            for case let relative as String in walker {
                let name = (relative as NSString).lastPathComponent.uppercased()
                if name.hasPrefix("DIM_"), name.hasSuffix(".XML") { dimaps.append(folder + "/" + relative) }
            }
        }
        dimaps.sort()
        func kind(_ path: String) -> String? {
            let tokens = (path as NSString).lastPathComponent.uppercased().dropLast(4).split(separator: "_")
            if tokens.contains("P") || tokens.contains("PAN") { return "PAN" }
            if tokens.contains("MS") || tokens.contains("MS-FS") { return "MS" }
            return nil
        }
        func one(_ wanted: String) throws -> String {
            let hits = dimaps.filter { kind($0) == wanted }
            guard !hits.isEmpty else {
                throw PWHError.missingImage(kind: wanted, product: folder, found: dimaps.map { ($0 as NSString).lastPathComponent })
            }
            guard hits.count == 1 else { throw PWHError.ambiguousImage(kind: wanted, product: folder, candidates: hits) }
            return hits[0]
        }
        let panDimap = try one("PAN"), msDimap = try one("MS")
        let id = String((panDimap as NSString).lastPathComponent.dropFirst(4).dropLast(4))
            .replacingOccurrences(of: "_P_", with: "_PMS_").replacingOccurrences(of: "_PAN_", with: "_PMS_")
        return PWHInputs(pan: try image(of: panDimap), ms: try image(of: msDimap), panModel: nil, msModel: nil,
                         panMetadata: panDimap, msMetadata: msDimap, id: id + "_PWH")
    }

    /// The image a DIMAP describes: the DIMAP when GDAL opens it as a raster, else the only
    /// `IMG_*.TIF` / `.JP2` in its folder.
    static func image(of dimap: String) throws -> String {
        if let d = try? Dataset(path: dimap), d.bandCount > 0 { return dimap }
        let folder = (dimap as NSString).deletingLastPathComponent
        let images = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            let n = $0.uppercased()
            return n.hasPrefix("IMG_") && (n.hasSuffix(".TIF") || n.hasSuffix(".TIFF") || n.hasSuffix(".JP2"))
        }.sorted()
        guard images.count == 1 else {
            throw PWHError.imageNotFound(dimap: dimap, reason: images.isEmpty
                ? "GDAL cannot open the DIMAP and there is no IMG_*.TIF or .JP2 beside it"
                : "GDAL cannot open the DIMAP and there are \(images.count) image tiles beside it (\(images.joined(separator: ", ")))")
        }
        return folder + "/" + images[0]
    }

    /// Inputs named one by one (material without a product folder, such as the Ventoux crops).
    /// Radiometric metadata not given: `RadiometricMetadata.find(forImage:)`, else the model file
    /// when it is an OSSIM `.geom` (which holds both). The id is the PAN's file name + `_PWH`.
    /// - Throws: `RadiometryError.metadataNotFound` naming the places looked at.
    public static func named(pan: String, ms: String, panModel: String? = nil, msModel: String? = nil,
                             panMetadata: String? = nil, msMetadata: String? = nil) throws -> PWHInputs {
        func metadata(_ given: String?, image: String, model: String?) throws -> String {
            if let given { return given }
            do {
                return try RadiometricMetadata.find(forImage: image)
            } catch {
                if let model, model.lowercased().hasSuffix(".geom") { return model }
                throw error
            }
        }
        for (field, path) in [("PAN", pan), ("MS", ms)] where !FileManager.default.fileExists(atPath: path) && !path.hasPrefix("/vsi") {
            throw PWHError.invalidRequest(field: field, value: path, reason: "no such file")
        }
        let id = ((pan as NSString).lastPathComponent as NSString).deletingPathExtension + "_PWH"
        return PWHInputs(pan: pan, ms: ms, panModel: panModel, msModel: msModel,
                         panMetadata: try metadata(panMetadata, image: pan, model: panModel),
                         msMetadata: try metadata(msMetadata, image: ms, model: msModel), id: id)
    }
}
