import Foundation

/// One PWH job: what `dsm-run pwh` parses and what pipeline-worker decodes from a `pwh` job's
/// JSON payload (every field but the output folder optional; defaults in the comments).
public struct PWHRequest: Codable, Sendable, Equatable {
    /// A Pléiades / SPOT 6-7 primary product folder (`PWHInputs.find(product:)`); or `pan` + `ms`.
    public var product: String?
    public var pan: String?
    public var ms: String?
    /// RPC model files for `pan` / `ms` (full scene, crop offsets applied); default: found next to them.
    public var panModel: String?
    public var msModel: String?
    /// Radiometric metadata for `pan` / `ms`; default: found next to them, else the `.geom` model.
    public var panMetadata: String?
    public var msMetadata: String?
    /// Where `<id>.tif` (COG) and `<id>.json` (STAC Item) are written; created when missing.
    public var outputFolder: String
    /// DEM or DSM for the heights (GDAL raster); nil: a constant height, `height` or else the PAN
    /// RPC's height offset.
    public var dem: String?
    /// Constant terrain height in metres above the WGS84 ellipsoid, used when `dem` is nil.
    public var height: Double?
    /// Geoid grid the DEM's heights are above (EGM96 `egm96_15.gtx` for SRTM); nil: ellipsoidal DEM.
    public var geoid: String?
    /// Output pixel size in metres; default the PAN's ground sampling distance, rounded.
    public var resolution: Double?
    /// Output CRS; default the UTM zone of the footprint centre.
    public var epsg: Int?
    /// Measure and remove a residual PAN/MS shift before fusing (default true).
    public var register: Bool?
    /// "gsa" (default) or "brovey".
    public var method: String?
    /// Ortho resampling: "bicubic" (default), "bilinear", "nearest", "lanczos".
    public var resampling: String?
    /// Tile side in pixels for both steps (default 512).
    public var tileSize: Int?
    /// Ortho worker threads (default: the cores).
    public var threads: Int?

    public init(product: String, outputFolder: String) {
        self.product = product
        self.outputFolder = outputFolder
    }

    public init(pan: String, ms: String, outputFolder: String) {
        self.pan = pan
        self.ms = ms
        self.outputFolder = outputFolder
    }
}

/// Where a PWH run stands, for progress reports (pipeline-worker stores it with the job).
public struct PWHProgress: Sendable, Equatable, Codable {
    public enum Step: String, Sendable, Codable {
        case inputs, pansharpening, orthorectification, catalogue, done
    }
    public var step: Step
    /// 0...1 over the whole run.
    public var fraction: Double
    public var message: String
}

/// What a PWH run produced.
public struct PWHResult: Sendable, Equatable, Codable {
    public var id: String
    /// The COG (4 bands UInt16 TOA reflectance x 10,000, overviews, mask) and the STAC Item.
    public var image: String
    public var item: String
    public var epsg: Int
    public var width: Int
    public var height: Int
    public var resolution: Double
    /// Where the heights came from ("DEM ... above the geoid ...", or the constant and why).
    public var heightSource: String
    /// PAN/MS relation used for pan-sharpening ("RPC + registration", ...).
    public var relation: String
    /// Share of output pixels with data.
    public var validFraction: Double
}
