import CGDAL
import Foundation

/// A raster opened read-only through GDAL: GeoTIFF, COG, VRT, PNG, JP2 (where the driver exists),
/// NITF, DIMAP (through its XML), and GDAL virtual paths (`/vsimem/`, `/vsicurl/`, ...) as given.
///
/// Owns one GDAL dataset handle, closed in `deinit`. A handle must not be used from two threads:
/// open one `Dataset` per worker instead (opening is cheap).
/// Band numbers are 1-based, as in GDAL and `gdalinfo`.
public final class Dataset {
    let handle: GDALDatasetH
    public let path: String

    /// Opens `path` read-only. Errors say whether the file is missing, a folder, empty, or not a
    /// raster GDAL can read.
    public init(path: String) throws {
        GDALEnvironment.ensureInitialized()
        self.path = path
        if !path.hasPrefix("/vsi") {
            try Dataset.checkLocalFile(path)
        }
        let flags = UInt32(GDAL_OF_RASTER) | UInt32(GDAL_OF_READONLY) | UInt32(GDAL_OF_VERBOSE_ERROR)
        CPLErrorReset()
        guard let h = GDALOpenEx(path, flags, nil, nil, nil) else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                throw GDALCall.error(.isDirectory, path: path)
            }
            throw GDALCall.error(.openFailed, path: path, "not a raster GDAL can read, or a damaged one")
        }
        handle = h
        if GDALGetRasterCount(h) == 0 {
            GDALClose(h)
            throw RasterError(.openFailed, path: path, message: "the file has no raster band")
        }
    }

    private static func checkLocalFile(_ path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw RasterError(.notFound, path: path)
        }
        if isDir.boolValue { return }  // some drivers open folders; judged after GDALOpenEx
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if size == 0 { throw RasterError(.emptyFile, path: path, message: "0 bytes") }
    }

    deinit { GDALClose(handle) }

    public var width: Int { Int(GDALGetRasterXSize(handle)) }
    public var height: Int { Int(GDALGetRasterYSize(handle)) }
    public var bandCount: Int { Int(GDALGetRasterCount(handle)) }
    public var bounds: Window { Window(width: width, height: height) }

    /// GDAL's short name of the driver that opened the file ("GTiff", "NITF", "PNG", ...).
    public var driverName: String {
        guard let driver = GDALGetDatasetDriver(handle), let name = GDALGetDriverShortName(driver) else { return "" }
        return String(cString: name)
    }

    /// The band handle, or an error naming the band when out of range.
    func bandHandle(_ band: Int) throws -> GDALRasterBandH {
        guard band >= 1, band <= bandCount, let h = GDALGetRasterBand(handle, Int32(band)) else {
            throw RasterError(.bandOutOfRange, path: path, band: band,
                              message: "the raster has \(bandCount) band(s), numbered from 1")
        }
        return h
    }

    public func pixelType(band: Int = 1) throws -> PixelType {
        let gdal = GDALGetRasterDataType(try bandHandle(band))
        guard let type = PixelType(gdal: gdal) else {
            throw RasterError(.unsupported, path: path, band: band,
                              message: "pixel type \(String(cString: GDALGetDataTypeName(gdal))) is not supported")
        }
        return type
    }

    /// The natural block (tile or strip) size of a band: read in multiples of it for speed.
    public func blockSize(band: Int = 1) throws -> (width: Int, height: Int) {
        var bw: Int32 = 0, bh: Int32 = 0
        GDALGetBlockSize(try bandHandle(band), &bw, &bh)
        return (Int(bw), Int(bh))
    }

    /// The band's nodata value, nil when it has none.
    public func nodata(band: Int = 1) throws -> Double? {
        var has: Int32 = 0
        let value = GDALGetRasterNoDataValue(try bandHandle(band), &has)
        return has != 0 ? value : nil
    }

    public func bandDescription(band: Int) throws -> String {
        guard let text = GDALGetDescription(try bandHandle(band)) else { return "" }
        return String(cString: text)
    }

    public func overviewCount(band: Int = 1) throws -> Int {
        Int(GDALGetOverviewCount(try bandHandle(band)))
    }

    /// The geotransform, nil when the file has none (GDAL then reports the identity).
    public var geoTransform: GeoTransform? {
        var c = [Double](repeating: 0, count: 6)
        CPLErrorReset()
        guard GDALGetGeoTransform(handle, &c) == CE_None else { return nil }
        return GeoTransform(c)
    }

    /// The CRS, nil when the file has none.
    public var spatialReference: SpatialReference? {
        SpatialReference(cloning: GDALGetSpatialRef(handle))
    }

    /// The names of the metadata domains ("" is the default domain, "RPC", "IMAGE_STRUCTURE", ...).
    public var metadataDomains: [String] {
        guard let list = GDALGetMetadataDomainList(handle) else { return [] }
        defer { CSLDestroy(list) }
        return CStringList.strings(list)
    }

    /// Dataset metadata of one domain as key/value pairs (empty when the domain is absent).
    public func metadata(domain: String = "") -> [String: String] {
        CStringList.keyValues(GDALGetMetadata(handle, domain.isEmpty ? nil : domain))
    }

    /// Band metadata of one domain.
    public func metadata(band: Int, domain: String = "") throws -> [String: String] {
        CStringList.keyValues(GDALGetMetadata(try bandHandle(band), domain.isEmpty ? nil : domain))
    }

    /// The files GDAL read for this dataset (the image, sidecars such as .RPB, .aux.xml).
    public var fileList: [String] {
        guard let list = GDALGetFileList(handle) else { return [] }
        defer { CSLDestroy(list) }
        return CStringList.strings(list)
    }
}

@available(*, unavailable, message: "a GDAL dataset handle must not be shared across threads: open one Dataset per thread")
extension Dataset: Sendable {}
