import Raster

/// Settings of an orthorectification run.
public struct OrthoOptions: Sendable {
    public var resampling: OrthoResampling = .bicubic
    /// Image bands to keep (1-based); nil for all.
    public var bands: [Int]? = nil
    /// Output tile side in pixels: memory per worker is about tileSize² · (16 + 8 · bands) bytes
    /// plus the sensor window it reads.
    public var tileSize = 512
    /// Coarse-grid step of the inverse mapping in output pixels (`coarseInverseMap`).
    public var coarseStep = 16
    /// Largest interpolation error (sensor px) accepted on the coarse grid.
    public var tolerance = 0.01
    /// Output pixel type; nil keeps the input's (Byte, UInt16, Int16; Float32 for others).
    public var outputType: PixelType? = nil
    /// Worker threads (default: the cores).
    public var threads: Int? = nil
    public var writeOptions: WriteOptions = .cog
    /// Extra key/values for the output's default metadata domain (e.g. where the heights came from).
    public var metadata: [String: String] = [:]

    public init(resampling: OrthoResampling = .bicubic) { self.resampling = resampling }

    func validate() throws {
        guard tileSize >= 16, tileSize <= 8192 else {
            throw OrthoError.invalidOption(name: "tile size", value: "\(tileSize)", reason: "use 16...8192 pixels")
        }
        guard coarseStep >= 1, coarseStep <= tileSize else {
            throw OrthoError.invalidOption(name: "coarse-grid step", value: "\(coarseStep)", reason: "use 1...tile size")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw OrthoError.invalidOption(name: "tolerance", value: "\(tolerance)", reason: "a non-negative number of pixels")
        }
        if let threads, threads < 1 {
            throw OrthoError.invalidOption(name: "threads", value: "\(threads)", reason: "at least 1")
        }
    }
}

/// What an orthorectification produced.
public struct OrthoSummary: Sendable {
    public let grid: OrthoGrid
    public let tiles: Int
    /// Output pixels with a value (inside the footprint, height known).
    public let validPixels: Int
    public let inverseMap: InverseMapStatistics
    public let outputType: PixelType
    /// Nodata value of the output (NaN for Float32).
    public let nodata: Double
}
