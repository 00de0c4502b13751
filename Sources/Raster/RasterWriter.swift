import CGDAL
import Foundation

/// Writes a raster window by window, with memory bounded by the windows written, and puts the
/// file under its final name only when `commit()` succeeds. Until then the data lives in a
/// hidden temporary file in the target folder (`.NAME.stage-PID-START-RANDOM`, see `Staging`),
/// removed by `abort()` or when the writer is dropped uncommitted, so a crash never leaves a torn
/// file under the final name; an interrupted process removes it through `Staging.removeAll()`.
///
/// A COG is staged as an uncompressed tiled GeoTIFF, then copied by GDAL's COG driver (which has
/// no Create) with overviews, and renamed.
public final class RasterWriter {
    public let path: String
    public let width: Int
    public let height: Int
    public let bandCount: Int
    public let pixelType: PixelType
    public let options: WriteOptions
    private let stagingPath: String
    private var handle: GDALDatasetH?
    private var finished = false
    private var hasMask = false

    /// Creates the temporary file. `metadata` maps a domain ("" default, "RPC", ...) to key/values.
    public init(
        path: String, width: Int, height: Int, bands: Int = 1, type: PixelType, options: WriteOptions = .cog,
        geoTransform: GeoTransform? = nil, spatialReference: SpatialReference? = nil, nodata: Double? = nil,
        bandDescriptions: [String] = [], metadata: [String: [String: String]] = [:]
    ) throws {
        GDALEnvironment.ensureInitialized()
        self.path = path
        self.width = width
        self.height = height
        self.bandCount = bands
        self.pixelType = type
        self.options = options
        guard width > 0, height > 0, bands > 0 else {
            throw RasterError(.invalidArgument, path: path, message: "cannot write a \(width)x\(height) raster with \(bands) band(s)")
        }
        guard options.blockSize >= 16, options.blockSize % 16 == 0 else {
            throw RasterError(.invalidArgument, path: path, message: "block size \(options.blockSize) is not a multiple of 16")
        }
        if options.format == .cog, let domain = metadata.keys.first(where: { $0 != "" && $0 != "RPC" }) {
            // GDAL 3.6's COG (and GTiff) CreateCopy drops other domains (COPY_SRC_MDD is 3.8+).
            throw RasterError(.unsupported, path: path,
                              message: "metadata domain '\(domain)' cannot be kept in a COG by GDAL 3.6: use the default domain")
        }
        try RasterWriter.checkOutputFolder(of: path)
        if options.format == .cog { try RasterWriter.checkSpace(forStaging: width * height * bands * type.size, of: path) }
        stagingPath = RasterWriter.temporaryName(for: path, tag: options.format == .cog ? "stage" : "tmp")
        Staging.register(stagingPath)

        guard let driver = GDALGetDriverByName("GTiff") else {
            throw RasterError(.unsupported, path: path, message: "GDAL has no GTiff driver")
        }
        let creation = options.gtiffOptions(for: type, staging: options.format == .cog)
        CPLErrorReset()
        let h = CStringList.withList(creation) { opts in
            GDALCreate(driver, stagingPath, Int32(width), Int32(height), Int32(bands), type.gdal, opts)
        }
        guard let h else {
            Staging.unregister(stagingPath)
            throw GDALCall.error(.createFailed, path: path, "cannot create the temporary file \(stagingPath)")
        }
        handle = h
        do {
            try describe(geoTransform: geoTransform, spatialReference: spatialReference, nodata: nodata,
                         bandDescriptions: bandDescriptions, metadata: metadata)
        } catch {
            abort()
            throw error
        }
    }

    deinit { if !finished { abort() } }

    private func describe(
        geoTransform: GeoTransform?, spatialReference: SpatialReference?, nodata: Double?,
        bandDescriptions: [String], metadata: [String: [String: String]]
    ) throws {
        guard let h = handle else { return }
        if let geoTransform {
            var c = geoTransform.array
            try GDALCall.check(.writeFailed, path: path) { GDALSetGeoTransform(h, &c) }
        }
        if let spatialReference {
            try GDALCall.check(.writeFailed, path: path) { GDALSetSpatialRef(h, spatialReference.handle) }
        }
        for band in 1...bandCount {
            let b = GDALGetRasterBand(h, Int32(band))
            if let nodata {
                try GDALCall.check(.writeFailed, path: path, band: band) { GDALSetRasterNoDataValue(b, nodata) }
            }
            if band <= bandDescriptions.count { GDALSetDescription(b, bandDescriptions[band - 1]) }
        }
        for (domain, items) in metadata.sorted(by: { $0.key < $1.key }) {
            let pairs = items.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            try GDALCall.check(.writeFailed, path: path) {
                CStringList.withList(pairs) { GDALSetMetadata(h, $0, domain.isEmpty ? nil : domain) }
            }
        }
    }

    /// Writes `image` with its top-left pixel at (x, y). Its bands go to `bands` (1-based;
    /// by default 1...image.bandCount). The image must fit inside the raster.
    public func write<T: RasterScalar>(_ image: ImageBuffer<T>, x: Int, y: Int, bands: [Int]? = nil) throws {
        guard let h = handle, !finished else {
            throw RasterError(.writeFailed, path: path, message: "the writer is already committed or aborted")
        }
        let window = Window(x: x, y: y, width: image.width, height: image.height)
        let bandList = bands ?? Array(1...image.bandCount)
        guard bandList.count == image.bandCount else {
            throw RasterError(.invalidArgument, path: path, window: window,
                              message: "\(image.bandCount) image band(s) for \(bandList.count) target band(s)")
        }
        for band in bandList where band < 1 || band > bandCount {
            throw RasterError(.bandOutOfRange, path: path, band: band, message: "the output has \(bandCount) band(s)")
        }
        guard x >= 0, y >= 0, window.maxX <= width, window.maxY <= height, !window.isEmpty else {
            throw RasterError(.invalidArgument, path: path, window: window,
                              message: "window is not inside the \(width)x\(height) output")
        }
        var gdalBands = bandList.map { Int32($0) }
        let size = MemoryLayout<T>.stride
        var pixels = image.storage
        try pixels.withUnsafeMutableBytes { raw in
            try GDALCall.check(.writeFailed, path: path, band: bandList.count == 1 ? bandList[0] : nil, window: window) {
                GDALDatasetRasterIOEx(
                    h, GF_Write, Int32(x), Int32(y), Int32(image.width), Int32(image.height),
                    raw.baseAddress, Int32(image.width), Int32(image.height), T.pixelType.gdal,
                    Int32(gdalBands.count), &gdalBands,
                    GSpacing(size), GSpacing(image.rowStride * size), GSpacing(image.bandStride * size), nil)
            }
        }
    }

    /// Writes `mask` (band 0: 255 = valid, 0 = no data) with its top-left pixel at (x, y) into the
    /// raster's per-dataset mask band, created on first use (an internal TIFF mask, which GDAL's
    /// COG driver copies, overviews included). The mask must fit inside the raster.
    public func writeMask(_ mask: ImageBuffer<UInt8>, x: Int, y: Int) throws {
        guard let h = handle, !finished else {
            throw RasterError(.writeFailed, path: path, message: "the writer is already committed or aborted")
        }
        let window = Window(x: x, y: y, width: mask.width, height: mask.height)
        guard x >= 0, y >= 0, window.maxX <= width, window.maxY <= height, !window.isEmpty else {
            throw RasterError(.invalidArgument, path: path, window: window, message: "mask window is not inside the \(width)x\(height) output")
        }
        if !hasMask {
            // Inside the TIFF, not a `.msk` sidecar (GDAL 3.6's default): a sidecar of the staging
            // file would be left behind by the rename, and a final GeoTIFF would lose its mask.
            CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES")
            defer { CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", nil) }
            try GDALCall.check(.writeFailed, path: path) { GDALCreateDatasetMaskBand(h, Int32(GMF_PER_DATASET)) }
            hasMask = true
        }
        guard let band = GDALGetMaskBand(GDALGetRasterBand(h, 1)) else {
            throw RasterError(.writeFailed, path: path, message: "no mask band after creating it")
        }
        var pixels = mask.storage
        try pixels.withUnsafeMutableBytes { raw in
            try GDALCall.check(.writeFailed, path: path, window: window) {
                GDALRasterIOEx(band, GF_Write, Int32(x), Int32(y), Int32(mask.width), Int32(mask.height),
                               raw.baseAddress, Int32(mask.width), Int32(mask.height), GDT_Byte, 1, GSpacing(mask.rowStride), nil)
            }
        }
    }

    /// Finishes the file (COG conversion when asked) and renames it to `path`, replacing any
    /// file there. On failure the temporary files are removed and nothing appears at `path`.
    public func commit() throws {
        guard let h = handle, !finished else {
            throw RasterError(.commitFailed, path: path, message: "the writer is already committed or aborted")
        }
        CPLErrorReset()
        GDALFlushCache(h)
        GDALClose(h)
        handle = nil
        if CPLGetLastErrorType().rawValue >= CE_Failure.rawValue {
            let error = GDALCall.error(.commitFailed, path: path, "flushing the data to disk failed" + RasterWriter.spaceNote(of: path))
            abort()
            throw error
        }
        var finalTemporary = stagingPath
        if options.format == .cog {
            finalTemporary = RasterWriter.temporaryName(for: path, tag: "tmp")
            Staging.register(finalTemporary)
            do {
                try RasterWriter.translateToCOG(from: stagingPath, to: finalTemporary, options: options, reportAs: path)
            } catch {
                VSIUnlink(finalTemporary)
                Staging.unregister(finalTemporary)
                abort()
                throw error
            }
            VSIUnlink(stagingPath)
            Staging.unregister(stagingPath)
        }
        CPLErrorReset()
        if VSIRename(finalTemporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            VSIUnlink(finalTemporary)
            Staging.unregister(finalTemporary)
            finished = true
            throw RasterError(.commitFailed, path: path, message: "cannot rename \(finalTemporary) to the final name: \(reason)")
        }
        Staging.unregister(finalTemporary)
        finished = true
    }

    /// Drops the output: closes and deletes the temporary file. Safe to call twice.
    public func abort() {
        if let h = handle { GDALClose(h); handle = nil }
        if !finished {
            VSIUnlink(stagingPath)
            Staging.unregister(stagingPath)
        }
        finished = true
    }

    private static func translateToCOG(from source: String, to target: String, options: WriteOptions, reportAs path: String) throws {
        guard let driver = GDALGetDriverByName("COG") else {
            throw RasterError(.unsupported, path: path, message: "GDAL has no COG driver (needs GDAL >= 3.1)")
        }
        CPLErrorReset()
        guard let src = GDALOpenEx(source, UInt32(GDAL_OF_RASTER) | UInt32(GDAL_OF_READONLY), nil, nil, nil) else {
            throw GDALCall.error(.commitFailed, path: path, "cannot reopen the staged data")
        }
        defer { GDALClose(src) }
        CPLErrorReset()
        let out = CStringList.withList(options.cogOptions()) { opts in
            GDALCreateCopy(driver, target, src, 0, opts, nil, nil)
        }
        guard let out else { throw GDALCall.error(.commitFailed, path: path, "the COG driver failed") }
        CPLErrorReset()
        GDALClose(out)
        if CPLGetLastErrorType().rawValue >= CE_Failure.rawValue {
            throw GDALCall.error(.commitFailed, path: path, "writing the COG failed")
        }
    }

    /// `DIR/.NAME.TAG-PID-START-RANDOM` beside `path`; stale ones of dead runs removed first.
    static func temporaryName(for path: String, tag: String) -> String {
        if !path.hasPrefix("/vsi") { Staging.removeStale(besideOutput: path) }
        return Staging.name(besideOutput: path, tag: tag)
    }

    /// The bytes free for this user on the file system of `path`'s folder (nil: unknown).
    static func freeBytes(besidePath path: String) -> Int? {
        guard !path.hasPrefix("/vsi") else { return nil }
        var info = statvfs()
        guard statvfs(URL(fileURLWithPath: path).deletingLastPathComponent().path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// A COG is staged uncompressed (`bytes`) beside its output: refused at once, with the
    /// estimate, when the file system cannot hold that much.
    private static func checkSpace(forStaging bytes: Int, of path: String) throws {
        guard let free = freeBytes(besidePath: path), free < bytes else { return }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        throw RasterError(.createFailed, path: path, message: String(
            format: "not enough disk space: the output is staged uncompressed (about %.1f MiB) and %@ has %.1f MiB free",
            Double(bytes) / 1_048_576, folder, Double(free) / 1_048_576))
    }

    /// ", with N MiB free in FOLDER" when the disk looks full (under 1 MiB free), else "".
    private static func spaceNote(of path: String) -> String {
        guard let free = freeBytes(besidePath: path), free < 1 << 20 else { return "" }
        return String(format: " (the disk is full: %.1f KiB free in %@)", Double(free) / 1024,
                      URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    private static func checkOutputFolder(of path: String) throws {
        guard !path.hasPrefix("/vsi") else { return }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) else {
            throw RasterError(.createFailed, path: path, message: "the output folder \(folder) does not exist")
        }
        guard isDir.boolValue else {
            throw RasterError(.createFailed, path: path, message: "\(folder) is not a folder")
        }
        var isTargetDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isTargetDir), isTargetDir.boolValue {
            throw RasterError(.createFailed, path: path, message: "a folder already has this name")
        }
    }
}

@available(*, unavailable, message: "a GDAL dataset handle must not be shared across threads")
extension RasterWriter: Sendable {}

/// Writes a whole in-memory image in one go (atomic, as `RasterWriter`).
public func writeRaster<T: RasterScalar>(
    _ image: ImageBuffer<T>, to path: String, options: WriteOptions = .cog,
    geoTransform: GeoTransform? = nil, spatialReference: SpatialReference? = nil, nodata: Double? = nil,
    bandDescriptions: [String] = [], metadata: [String: [String: String]] = [:]
) throws {
    let writer = try RasterWriter(
        path: path, width: image.width, height: image.height, bands: image.bandCount, type: T.pixelType,
        options: options, geoTransform: geoTransform, spatialReference: spatialReference, nodata: nodata,
        bandDescriptions: bandDescriptions, metadata: metadata)
    try writer.write(image, x: 0, y: 0)
    try writer.commit()
}
