import Foundation
import Raster

/// The gain at Nyquist of the Gaussian that low-passes the PAN to the MS resolution for the
/// fusion statistics (the MS's MTF, `mtfGaussianSigma`).
public let msGainAtNyquist = 0.3
/// The PAN's MTF gain at its own Nyquist frequency (used by Wald's degradation of the PAN).
public let panGainAtNyquist = 0.15

/// Pan-sharpens images in memory (the whole of `pan`, band 0): MS upsampled onto the PAN grid
/// (bicubic, through `geometry`), fusion parameters estimated on all of it, then `fuse`.
public func pansharpen(
    pan: ImageBuffer<Float>, ms: ImageBuffer<Float>, geometry: PanMSGeometry, method: PansharpenMethod,
    ratio: Int = 4, panNodata: Float? = nil
) throws -> ImageBuffer<Float> {
    let up = upsampleBicubic(ms, map: geometry.msFromPan, width: pan.width, height: pan.height)
    let low = gaussianLowPass(pan, sigma: mtfGaussianSigma(ratio: ratio, gainAtNyquist: msGainAtNyquist))
    var statistics = FusionStatistics(bands: ms.bandCount)
    statistics.accumulate(panLow: low, pan: pan, ms: up, stride: ratio, panNodata: panNodata)
    return fuse(pan: pan, ms: up, parameters: try statistics.parameters(for: method), panNodata: panNodata)
}

/// A pan-sharpening job on files.
public struct PansharpenConfiguration: Sendable {
    public var pan: String
    public var ms: String
    public var output: String
    /// External RPC models (full scene; crop offsets applied); nil: found as `RPCModel.load` does.
    public var panModel: String?
    public var msModel: String?
    /// Use the nominal ratio (4 for Pléiades / SPOT 6-7) and the crops' offsets instead of the RPCs.
    public var ratio: Int?
    /// Terrain height (ellipsoidal, metres) at which the RPC relation is measured; default the
    /// PAN model's height offset. PAN and MS arrays look along slightly different directions, so
    /// the relation may vary with height (on the Ventoux pair's .geom models it does not).
    public var terrainHeight: Double?
    /// Measure and remove a residual PAN/MS translation on the images (`PanMSGeometry.registered`,
    /// on a central window of at most 1024 x 1024 PAN pixels) before fusing.
    public var register = false
    public var method: PansharpenMethod = .gsa
    public var tileSize = 512
    public var options: WriteOptions = .cog
    /// UInt16 (rounded, clamped to 1...65535 where the PAN is valid; 0 = nodata) or Float32.
    public var outputType: PixelType = .uint16
    /// Fuse in top-of-atmosphere reflectance: each PAN and MS tile is converted with its metadata
    /// (`reflectanceInPlace`) before upsampling and fusion, and the output is reflectance, x 10,000
    /// in UInt16 (the PWH recipe's radiometric product). Both or neither.
    public var panRadiometry: RadiometricMetadata?
    public var msRadiometry: RadiometricMetadata?

    public init(pan: String, ms: String, output: String) {
        self.pan = pan
        self.ms = ms
        self.output = output
    }
}

public struct PansharpenSummary: Sendable {
    public var width: Int
    public var height: Int
    public var bands: Int
    public var geometry: PanMSGeometry
    /// "RPC" or "ratio".
    public var relation: String
    /// The registration, when asked for.
    public var registration: PanMSRegistration?
    public var parameters: FusionParameters
}

/// Pan-sharpens a PAN image with the MS image of the same acquisition, in sensor geometry: output
/// on the PAN grid with the MS bands. Two passes over PAN tiles of `tileSize` (memory: one tile of
/// PAN and upsampled MS, plus the MS window under it): the first accumulates the fusion statistics
/// on every ratio-th PAN pixel (low-pass and upsampling evaluated there only), the second fuses and
/// writes (atomically; COG by default).
/// Throws `msDoesNotCoverPan` when the MS misses part of the PAN.
public func pansharpenFiles(_ c: PansharpenConfiguration) throws -> PansharpenSummary {
    let pan = try Dataset(path: c.pan), ms = try Dataset(path: c.ms)
    guard pan.bandCount == 1 else {
        throw RadiometryError.incompatibleImages(pan: c.pan, ms: c.ms, reason: "the PAN image has \(pan.bandCount) bands, not 1")
    }
    guard (c.panRadiometry == nil) == (c.msRadiometry == nil) else {
        throw RadiometryError.incompatibleImages(pan: c.pan, ms: c.ms, reason: "reflectance needs the metadata of both images")
    }
    if let m = c.panRadiometry, m.bands.count != 1 {
        throw RadiometryError.bandCountMismatch(image: c.pan, imageBands: 1, metadata: m.file, metadataBands: m.bands.count)
    }
    if let m = c.msRadiometry, m.bands.count != ms.bandCount {
        throw RadiometryError.bandCountMismatch(image: c.ms, imageBands: ms.bandCount, metadata: m.file, metadataBands: m.bands.count)
    }
    let scale: Float = c.panRadiometry == nil ? 1 : Float(reflectanceScale)
    guard c.outputType == .uint16 || c.outputType == .float32 else {
        throw RadiometryError.incompatibleImages(pan: c.pan, ms: c.ms, reason: "output type \(c.outputType.rawValue) is not UInt16 or Float32")
    }
    var geometry: PanMSGeometry, relation: String
    if let ratio = c.ratio {
        guard ratio >= 2 else { throw RadiometryError.incompatibleImages(pan: c.pan, ms: c.ms, reason: "ratio \(ratio) < 2") }
        let po = RPCModel.cropOffset(ofImage: c.pan) ?? (0, 0), mo = RPCModel.cropOffset(ofImage: c.ms) ?? (0, 0)
        geometry = .knownRatio(ratio, panOffset: (po.column, po.row), msOffset: (mo.column, mo.row))
        relation = "ratio"
    } else {
        let panModel: RPCModel, msModel: RPCModel
        do {
            panModel = try RPCModel.load(image: c.pan, model: c.panModel)
            msModel = try RPCModel.load(image: c.ms, model: c.msModel)
        } catch {
            throw RadiometryError.incompatibleImages(pan: c.pan, ms: c.ms,
                                                     reason: "no RPC to relate them (\(error)); give the models or the ratio (--ratio 4)")
        }
        geometry = try .fromRPC(pan: panModel, ms: msModel, panWidth: pan.width, panHeight: pan.height, height: c.terrainHeight)
        relation = "RPC"
    }
    let ratio = c.ratio ?? max(1, Int((1 / geometry.scale.x).rounded()))
    try geometry.checkCoverage(panWindow: pan.bounds, msWidth: ms.width, msHeight: ms.height, pan: c.pan, ms: c.ms)
    var registration: PanMSRegistration?
    if c.register {
        let side = 1024
        let centre = Window(x: max(0, (pan.width - side) / 2), y: max(0, (pan.height - side) / 2),
                            width: min(side, pan.width), height: min(side, pan.height))
        guard let msWindow = geometry.msReadWindow(forPan: centre, msWidth: ms.width, msHeight: ms.height) else {
            throw RadiometryError.msDoesNotCoverPan(pan: c.pan, ms: c.ms, needed: "\(centre)", msSize: "\(ms.width)x\(ms.height)")
        }
        let r = try geometry.registered(pan: try pan.read(Float.self, band: 1, window: centre), panOrigin: (centre.x, centre.y),
                                        ms: try ms.read(Float.self, window: msWindow), msOrigin: (msWindow.x, msWindow.y), ratio: ratio)
        registration = r
        geometry = r.geometry
        relation += " + registration"
        try geometry.checkCoverage(panWindow: pan.bounds, msWidth: ms.width, msHeight: ms.height, pan: c.pan, ms: c.ms)
    }
    let panNodata = try pan.nodata(band: 1).map { Float($0) }
    let msNodata = try ms.nodata(band: 1).map { Float($0) }
    /// A PAN window, in reflectance when asked (nodata pixels keep their value).
    func panRead(_ window: Window) throws -> ImageBuffer<Float> {
        var tile = try pan.read(Float.self, band: 1, window: window)
        if let m = c.panRadiometry { reflectanceInPlace(&tile, metadata: m, nodata: panNodata) }
        return tile
    }
    let sigma = mtfGaussianSigma(ratio: max(ratio, 2), gainAtNyquist: msGainAtNyquist)
    let halo = Int((3 * sigma).rounded(.up))
    let tiling = try Tiling(width: pan.width, height: pan.height, tileWidth: max(ratio, c.tileSize / ratio * ratio), halo: halo)

    /// The upsampled MS under a PAN window.
    func upsampled(_ window: Window, step: Int = 1) throws -> ImageBuffer<Float> {
        guard let read = geometry.msReadWindow(forPan: window, msWidth: ms.width, msHeight: ms.height) else {
            throw RadiometryError.msDoesNotCoverPan(pan: c.pan, ms: c.ms, needed: "\(window)", msSize: "\(ms.width)x\(ms.height)")
        }
        var source = try ms.read(Float.self, window: read)
        if let m = c.msRadiometry { reflectanceInPlace(&source, metadata: m, nodata: msNodata) }
        // Output pixel (i, j) is PAN point (window.x + i · step, window.y + j · step).
        let lattice = AffineMap2D(a: Double(step), b: 0, c: Double(window.x), d: 0, e: Double(step), f: Double(window.y))
        return upsampleBicubic(source, origin: (read.x, read.y), map: lattice.followed(by: geometry.msFromPan),
                               width: (window.width + step - 1) / step, height: (window.height + step - 1) / step)
    }

    var statistics = FusionStatistics(bands: ms.bandCount)
    for tile in tiling {
        // Pass 1 works on the lattice of the core's every ratio-th pixel only (as many samples as
        // MS pixels): the low-pass and the upsampling are evaluated there, not in between.
        let panTile = try panRead(tile.window)
        let cw = tile.coreInWindow
        let count = (x: (cw.width + ratio - 1) / ratio, y: (cw.height + ratio - 1) / ratio)
        let low = gaussianSamples(panTile, sigma: sigma, step: ratio, origin: (cw.x, cw.y), count: count)
        var points = ImageBuffer<Float>(width: count.x, height: count.y)
        for j in 0..<count.y { for i in 0..<count.x { points[i, j] = panTile[cw.x + i * ratio, cw.y + j * ratio] } }
        statistics.accumulate(panLow: low, pan: points, ms: try upsampled(tile.core, step: ratio), stride: 1, panNodata: panNodata)
    }
    let parameters: FusionParameters
    do {
        parameters = try statistics.parameters(for: c.method)
    } catch RadiometryError.incompatibleImages(_, _, let reason) {
        throw RadiometryError.incompatibleImages(pan: c.pan, ms: c.ms, reason: reason)   // name the files
    }

    let descriptions = try (1...ms.bandCount).map { try ms.bandDescription(band: $0) }
    var domains: [String: [String: String]] = ["": ["PANSHARPENING": "\(c.method.rawValue) (\(relation) relation)"]]
    if let m = c.msRadiometry {
        domains[""]!["RADIOMETRY"] = "top-of-atmosphere reflectance"
        domains[""]!["REFLECTANCE_SCALE"] = c.outputType == .float32 ? "1" : "10000"
        domains[""]!["ACQUISITION_DATE"] = m.acquisitionDate
    }
    let rpc = pan.metadata(domain: "RPC")
    if !rpc.isEmpty { domains["RPC"] = rpc }
    let writer = try RasterWriter(
        path: c.output, width: pan.width, height: pan.height, bands: ms.bandCount, type: c.outputType, options: c.options,
        geoTransform: pan.geoTransform, spatialReference: pan.spatialReference,
        nodata: panNodata == nil ? nil : (c.outputType == .float32 ? .nan : 0), bandDescriptions: descriptions, metadata: domains)
    for tile in tiling {
        let panTile = try panRead(tile.core)
        var fused = fuse(pan: panTile, ms: try upsampled(tile.core), parameters: parameters, panNodata: panNodata,
                         outputNodata: c.outputType == .float32 ? .nan : 0)
        if scale != 1 { for k in fused.storage.indices { fused.storage[k] *= scale } }
        if c.outputType == .float32 {
            try writer.write(fused, x: tile.core.x, y: tile.core.y)
        } else {
            let low: Float = panNodata == nil ? 0 : 1
            let values = zip(fused.storage, 0...).map { v, k -> UInt16 in
                let valid = panNodata == nil || panTile.storage[k % panTile.storage.count] != panNodata
                return valid ? UInt16(Swift.min(Swift.max(v.rounded(), low), 65535)) : 0
            }
            try writer.write(ImageBuffer(width: fused.width, height: fused.height, bands: fused.bandCount, pixels: values),
                             x: tile.core.x, y: tile.core.y)
        }
    }
    try writer.commit()
    return PansharpenSummary(width: pan.width, height: pan.height, bands: ms.bandCount, geometry: geometry,
                             relation: relation, registration: registration, parameters: parameters)
}
