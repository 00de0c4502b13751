/// How a raster is laid out on disk.
public struct WriteOptions: Sendable {
    public enum Format: String, Sendable {
        /// Tiled GeoTIFF.
        case geoTIFF = "GTiff"
        /// Cloud-Optimised GeoTIFF with internal overviews (GDAL's COG driver).
        case cog = "COG"
    }

    public enum Compression: String, Sendable {
        case none = "NONE", deflate = "DEFLATE", zstd = "ZSTD", lzw = "LZW"
    }

    public var format: Format
    public var compression: Compression
    /// Horizontal differencing (integers) or floating-point predictor (floats).
    public var predictor: Bool
    /// Compression level (DEFLATE 1-12, ZSTD 1-22); nil for GDAL's default.
    public var level: Int?
    /// Tile size in pixels (a multiple of 16).
    public var blockSize: Int
    /// GDAL resampling for COG overviews: "AVERAGE" for imagery and DSMs, "NEAREST" for classes.
    public var overviewResampling: String

    public init(
        format: Format = .cog, compression: Compression = .deflate, predictor: Bool = true,
        level: Int? = nil, blockSize: Int = 256, overviewResampling: String = "AVERAGE"
    ) {
        self.format = format
        self.compression = compression
        self.predictor = predictor
        self.level = level
        self.blockSize = blockSize
        self.overviewResampling = overviewResampling
    }

    public static let cog = WriteOptions()
    public static let geoTIFF = WriteOptions(format: .geoTIFF)

    /// Creation options for the GTiff driver (the final file, or the COG's staging file).
    func gtiffOptions(for type: PixelType, staging: Bool) -> [(String, String)] {
        var opts: [(String, String)] = [
            ("TILED", "YES"), ("BLOCKXSIZE", "\(blockSize)"), ("BLOCKYSIZE", "\(blockSize)"),
            ("BIGTIFF", "IF_SAFER"), ("INTERLEAVE", "BAND"),
        ]
        if staging { return opts }  // uncompressed: fastest to write and re-read
        opts.append(("COMPRESS", compression.rawValue))
        if compression != .none { opts.append(("NUM_THREADS", "ALL_CPUS")) }   // tiles compressed on all cores (same bytes)
        if predictor && compression != .none { opts.append(("PREDICTOR", type.isFloatingPoint ? "3" : "2")) }
        if let level {
            if compression == .deflate { opts.append(("ZLEVEL", "\(level)")) }
            if compression == .zstd { opts.append(("ZSTD_LEVEL", "\(level)")) }
        }
        return opts
    }

    /// Creation options for the COG driver.
    func cogOptions() -> [(String, String)] {
        var opts: [(String, String)] = [
            ("BLOCKSIZE", "\(blockSize)"), ("COMPRESS", compression.rawValue), ("OVERVIEWS", "AUTO"),
            ("RESAMPLING", overviewResampling), ("BIGTIFF", "IF_SAFER"),
            ("NUM_THREADS", "ALL_CPUS"),   // compression of the COG's tiles on all cores (same bytes)
        ]
        if predictor && compression != .none { opts.append(("PREDICTOR", "YES")) }
        if let level { opts.append(("LEVEL", "\(level)")) }
        return opts
    }
}
