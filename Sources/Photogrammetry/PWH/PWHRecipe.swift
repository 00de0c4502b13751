import Foundation
import Raster

/// The Pléiades World Heritage recipe (issue 6, item 4): from a primary (sensor-geometry) product,
/// TOA reflectance -> pan-sharpening (GSA, in the PAN's geometry) -> orthorectification on the
/// best available heights (the DEM/DSM given, else the PAN RPC's height offset, said in the
/// output's metadata) -> a 4-band UInt16 (reflectance x 10,000) COG with overviews and a mask,
/// plus a STAC Item 1.0 JSON.
///
/// Files: intermediates go to a hidden temporary folder inside the output folder (same file
/// system, so the final renames are atomic), removed at the end, on errors too; `<id>.tif` then
/// `<id>.json` are renamed into place only when both are complete. Bad input (no PAN or MS,
/// missing metadata, a DEM that does not cover the scene) fails before anything is written.
///
///     let result = try PWHRecipe.run(PWHRequest(product: "/archive/PROD_12345", outputFolder: "/out"),
///                                    progress: { print($0.step, $0.fraction) }, isCancelled: { false })
public enum PWHRecipe {
    /// Runs the recipe. `progress` is called between steps (from the calling thread);
    /// `isCancelled` is polled between steps: when it returns true the run stops with
    /// `PWHError.cancelled` and leaves nothing behind.
    /// - Complexity: two passes over the PAN for the fusion, one over the output grid for the ortho;
    ///   memory bounded by the tile size (and GDAL's block cache).
    public static func run(_ request: PWHRequest, progress: @Sendable (PWHProgress) -> Void = { _ in },
                           isCancelled: @Sendable () -> Bool = { false }) throws -> PWHResult {
        // 1. Inputs, all checked before the output folder is touched.
        guard let method = PansharpenMethod(rawValue: request.method ?? "gsa") else {
            throw PWHError.invalidRequest(field: "method", value: request.method ?? "", reason: "use gsa or brovey")
        }
        guard let resampling = OrthoResampling(rawValue: request.resampling ?? "bicubic") else {
            throw PWHError.invalidRequest(field: "resampling", value: request.resampling ?? "",
                                          reason: "use \(OrthoResampling.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let r = request.resolution, !(r > 0 && r.isFinite) {
            throw PWHError.invalidRequest(field: "resolution", value: "\(r)", reason: "a positive number of metres")
        }
        if let t = request.tileSize, t < 16 { throw PWHError.invalidRequest(field: "tile size", value: "\(t)", reason: "at least 16") }
        let inputs: PWHInputs
        if let product = request.product {
            guard request.pan == nil, request.ms == nil else {
                throw PWHError.invalidRequest(field: "product", value: product, reason: "give a product folder or --pan and --ms, not both")
            }
            inputs = try PWHInputs.find(product: product)
        } else {
            guard let pan = request.pan, let ms = request.ms else {
                throw PWHError.invalidRequest(field: "input", value: request.pan ?? request.ms ?? "",
                                              reason: "give a product folder, or both a PAN and an MS image")
            }
            inputs = try PWHInputs.named(pan: pan, ms: ms, panModel: request.panModel, msModel: request.msModel,
                                         panMetadata: request.panMetadata, msMetadata: request.msMetadata)
        }
        let panRadiometry = try RadiometricMetadata.load(contentsOf: inputs.panMetadata)
        let msRadiometry = try RadiometricMetadata.load(contentsOf: inputs.msMetadata)
        let panModel = try RPCModel.load(image: inputs.pan, model: inputs.panModel)
        let pan = try Dataset(path: inputs.pan)
        let geoid = try request.geoid.map { try Geoid(path: $0) }
        let heights: OrthoHeightSource, heightNote: String
        if let dem = request.dem {
            if geoid == nil, dem.lowercased().hasSuffix(".hgt") { throw GeometryError.demNeedsGeoid(dem: dem) }
            heights = .dem(path: dem, geoid: geoid)
            heightNote = "DEM \(dem)" + (request.geoid.map { ", heights above the geoid \($0)" } ?? ", ellipsoidal heights")
        } else if let h = request.height {
            guard h.isFinite else { throw PWHError.invalidRequest(field: "height", value: "\(h)", reason: "must be a finite number of metres") }
            heights = .constant(h)
            heightNote = String(format: "constant %.1f m above the WGS84 ellipsoid (given; no DEM)", h)
        } else {
            let h = panModel.coefficients.heightOffset
            heights = .constant(h)
            heightNote = String(format: "constant %.1f m above the WGS84 ellipsoid (the PAN RPC's height offset; no DEM given)", h)
        }
        // The footprint (on the DEM when there is one) also checks that the DEM covers the scene.
        let footprint = try footprint(model: panModel, width: pan.width, height: pan.height, heights: heights)
        let scene = PWHSceneInfo.read(inputs.panMetadata, radiometry: panRadiometry)
        progress(PWHProgress(step: .inputs, fraction: 0.02, message: "PAN \(inputs.pan), MS \(inputs.ms); heights: \(heightNote)"))
        if isCancelled() { throw PWHError.cancelled }

        // 2. Output folder and the temporary folder inside it.
        let fm = FileManager.default
        let out = request.outputFolder
        var isFolder: ObjCBool = false
        let existed = fm.fileExists(atPath: out, isDirectory: &isFolder)
        if existed, !isFolder.boolValue {
            throw PWHError.invalidRequest(field: "output folder", value: out, reason: "exists and is not a folder")
        }
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        // An interrupted run removes the folder it created (and its staging inside).
        if !existed { Staging.register(out) }
        defer { if !existed { Staging.unregister(out) } }
        let stagingBase = out + "/pwh"
        Staging.removeStale(besideOutput: stagingBase)
        let temp = Staging.name(besideOutput: stagingBase, tag: "tmp")
        do {
            Staging.register(temp)
            defer { try? fm.removeItem(atPath: temp); Staging.unregister(temp) }
            try fm.createDirectory(atPath: temp, withIntermediateDirectories: false)
            let result = try produce(request, inputs: inputs, temp: temp, method: method, resampling: resampling,
                                     radiometry: (panRadiometry, msRadiometry), panModel: panModel, heights: heights,
                                     heightNote: heightNote, footprint: footprint, scene: scene, progress: progress, isCancelled: isCancelled)
            progress(PWHProgress(step: .done, fraction: 1, message: "wrote \(result.image) and \(result.item)"))
            return result
        } catch {
            if !existed { try? fm.removeItem(atPath: out) }   // only our empty folder: finals are renamed last
            throw error
        }
    }

    /// Steps 2-4 inside the temporary folder, then the renames.
    private static func produce(
        _ request: PWHRequest, inputs: PWHInputs, temp: String, method: PansharpenMethod, resampling: OrthoResampling,
        radiometry: (pan: RadiometricMetadata, ms: RadiometricMetadata), panModel: RPCModel, heights: OrthoHeightSource,
        heightNote: String, footprint: [SIMD2<Double>], scene: PWHSceneInfo,
        progress: @Sendable (PWHProgress) -> Void, isCancelled: @Sendable () -> Bool
    ) throws -> PWHResult {
        // Reflectance + pan-sharpening in the PAN's geometry (intermediate tiled GeoTIFF, DEFLATE level 1).
        var c = PansharpenConfiguration(pan: inputs.pan, ms: inputs.ms, output: temp + "/pansharpened.tif")
        c.panRadiometry = radiometry.pan
        c.msRadiometry = radiometry.ms
        c.panModel = inputs.panModel
        c.msModel = inputs.msModel
        c.register = request.register ?? true
        c.method = method
        c.tileSize = request.tileSize ?? 512
        c.options = WriteOptions(format: .geoTIFF, compression: .deflate, predictor: true, level: 1)
        progress(PWHProgress(step: .pansharpening, fraction: 0.05, message: "reflectance and \(method.rawValue) pan-sharpening"))
        let fusion = try pansharpenFiles(c)
        if isCancelled() { throw PWHError.cancelled }

        // Orthorectification of all four bands through the PAN's model.
        progress(PWHProgress(step: .orthorectification, fraction: 0.5, message: "orthorectification, heights: \(heightNote)"))
        let ortho = try Orthorectifier(image: c.output, model: panModel, heights: heights, resolution: request.resolution, epsg: request.epsg)
        var options = OrthoOptions(resampling: resampling)
        options.tileSize = request.tileSize ?? 512
        options.threads = request.threads
        options.outputType = .uint16
        options.metadata = [
            "RELIEF_PWH": "top-of-atmosphere reflectance x 10000, \(method.rawValue) pan-sharpened (\(fusion.relation) relation), "
                + "orthorectified (\(resampling.rawValue))",
            "HEIGHT_SOURCE": heightNote,
            "RADIOMETRY": "top-of-atmosphere reflectance",
            "REFLECTANCE_SCALE": "10000",
            "BANDS": radiometry.ms.bands.map(\.id).joined(separator: ","),
            "ACQUISITION_DATETIME": scene.datetime,
            "SOURCE_PAN": inputs.pan,
            "SOURCE_MS": inputs.ms,
        ]
        let image = temp + "/" + inputs.id + ".tif"
        let summary = try ortho.write(to: image, options: options)
        if isCancelled() { throw PWHError.cancelled }

        // STAC Item.
        progress(PWHProgress(step: .catalogue, fraction: 0.95, message: "STAC Item"))
        var item = PWHStacItem(id: inputs.id, footprint: footprint, scene: scene, grid: summary.grid,
                               dataHref: "./" + inputs.id + ".tif", metadataHref: URL(fileURLWithPath: inputs.panMetadata).path)
        item.extra = ["relief:height_source": heightNote, "relief:pansharpening": "\(method.rawValue) (\(fusion.relation) relation)",
                      "relief:reflectance_scale": "10000"]
        let json = temp + "/" + inputs.id + ".json"
        try item.data().write(to: URL(fileURLWithPath: json))

        // Into place: the image first, the Item (which points to it) last.
        let finalImage = request.outputFolder + "/" + inputs.id + ".tif", finalItem = request.outputFolder + "/" + inputs.id + ".json"
        for (from, to) in [(image, finalImage), (json, finalItem)] where rename(from, to) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: finalImage)
            throw RasterError(.writeFailed, path: to, message: "cannot rename \(from) into place: \(reason)")
        }
        let g = summary.grid
        return PWHResult(id: inputs.id, image: finalImage, item: finalItem, epsg: g.epsg, width: g.width, height: g.height,
                         resolution: g.resolution, heightSource: heightNote, relation: fusion.relation,
                         validFraction: Double(summary.validPixels) / Double(g.width * g.height))
    }
}
