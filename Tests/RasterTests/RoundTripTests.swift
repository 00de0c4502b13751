import Foundation
import Testing
@testable import Raster

@Suite("Write then read back")
struct RoundTripTests {
    static let types: [any RasterScalar.Type] = [UInt8.self, UInt16.self, Int16.self, UInt32.self, Int32.self, Float.self, Double.self]

    @Test("every pixel type round-trips with nodata, geotransform, CRS, descriptions and metadata",
          arguments: [WriteOptions.Format.geoTIFF, .cog])
    func roundTrip(format: WriteOptions.Format) throws {
        for type in Self.types {
            try roundTrip(type, format: format)
        }
    }

    func roundTrip<T: RasterScalar>(_ type: T.Type, format: WriteOptions.Format) throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let path = folder + "/out-\(T.pixelType.rawValue).tif"
        let image = patternImage(T.self, width: 37, height: 23, bands: 2)
        let gt = GeoTransform(originX: 680_000.5, originY: 4_900_000.25, pixelWidth: 0.5, pixelHeight: 0.5)
        let crs = try SpatialReference(epsg: 32631)
        let nodata: Double = T.pixelType.isFloatingPoint ? .nan : 0
        let options = WriteOptions(format: format, compression: format == .cog ? .zstd : .deflate, blockSize: 16)
        try writeRaster(image, to: path, options: options, geoTransform: gt, spatialReference: crs, nodata: nodata,
                        bandDescriptions: ["first", "second"], metadata: metadata(for: format))

        let ds = try Dataset(path: path)
        #expect(ds.width == 37 && ds.height == 23 && ds.bandCount == 2)
        #expect(try ds.pixelType(band: 1) == T.pixelType)
        let back = try ds.read(T.self, window: ds.bounds)
        #expect(back == image, "pixels differ for \(T.pixelType) \(format)")
        let nd = try #require(try ds.nodata(band: 2))
        #expect(nodata.isNaN ? nd.isNaN : nd == nodata)
        #expect(ds.geoTransform == gt)
        #expect(ds.spatialReference?.epsg == 32631)
        #expect(try ds.bandDescription(band: 2) == "second")
        #expect(ds.metadata()["PRODUCT"] == "test")
        if format == .geoTIFF { #expect(ds.metadata(domain: "RELIEF")["DATUM"] == "ellipsoid") }
        #expect(ds.metadata(domain: "RPC")["LINE_OFF"] == "12.5")
        #expect(folderContents(folder) == ["out-\(T.pixelType.rawValue).tif"], "temporary files left behind")
    }

    /// A default domain, an RPC domain, and (GeoTIFF only: GDAL 3.6's COG driver cannot keep
    /// them) a custom domain.
    func metadata(for format: WriteOptions.Format) -> [String: [String: String]] {
        let rpc = ["LINE_OFF": "12.5", "SAMP_OFF": "20.5", "LAT_OFF": "44", "LONG_OFF": "5", "HEIGHT_OFF": "500",
                   "LINE_SCALE": "12", "SAMP_SCALE": "20", "LAT_SCALE": "0.001", "LONG_SCALE": "0.001", "HEIGHT_SCALE": "100",
                   "LINE_NUM_COEFF": "0 0 -1" + String(repeating: " 0", count: 17), "LINE_DEN_COEFF": "1" + String(repeating: " 0", count: 19),
                   "SAMP_NUM_COEFF": "0 1" + String(repeating: " 0", count: 18), "SAMP_DEN_COEFF": "1" + String(repeating: " 0", count: 19)]
        var md: [String: [String: String]] = ["": ["PRODUCT": "test"], "RPC": rpc]
        if format == .geoTIFF { md["RELIEF"] = ["DATUM": "ellipsoid"] }
        return md
    }

    @Test("a COG refuses metadata domains it would silently drop")
    func cogDomains() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        #expect(throws: RasterError.self) {
            try writeRaster(ImageBuffer<UInt8>(width: 4, height: 4), to: folder + "/x.tif", options: .cog,
                            metadata: ["RELIEF": ["DATUM": "egm96"]])
        }
        #expect(folderContents(folder).isEmpty)
    }

    @Test("a COG output is a real COG: LAYOUT=COG, tiled, with overviews, compressed")
    func cogLayout() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let path = folder + "/dsm.tif"
        let image = patternImage(Float.self, width: 700, height: 530)
        try writeRaster(image, to: path, options: WriteOptions(format: .cog, compression: .deflate, blockSize: 128),
                        geoTransform: GeoTransform(originX: 0, originY: 0, pixelWidth: 1, pixelHeight: 1),
                        spatialReference: try SpatialReference(epsg: 32740), nodata: .nan)
        let ds = try Dataset(path: path)
        let structure = ds.metadata(domain: "IMAGE_STRUCTURE")
        #expect(structure["LAYOUT"] == "COG")
        #expect(structure["COMPRESSION"] == "DEFLATE")
        let block = try ds.blockSize()
        #expect(block.width == 128 && block.height == 128)
        #expect(try ds.overviewCount() >= 2, "700x530 with 128 px tiles needs overviews down to one tile")
        #expect(try ds.read(Float.self, window: ds.bounds) == image)
    }

    @Test("a GeoTIFF written window by window equals the image, with bounded writes")
    func windowedWrite() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let path = folder + "/tiles.tif"
        let image = patternImage(UInt16.self, width: 100, height: 70)
        let writer = try RasterWriter(path: path, width: 100, height: 70, type: .uint16, options: .geoTIFF)
        for tile in try Tiling(width: 100, height: 70, tileWidth: 32) {
            try writer.write(image.cropped(to: tile.core), x: tile.core.x, y: tile.core.y)
        }
        #expect(!FileManager.default.fileExists(atPath: path), "the final name must not exist before commit")
        try writer.commit()
        #expect(try Dataset(path: path).read(UInt16.self, window: Window(width: 100, height: 70)) == image)
        #expect(folderContents(folder) == ["tiles.tif"])
    }

    @Test("an uncommitted or aborted writer leaves nothing, and a commit replaces an old file atomically")
    func atomicity() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let path = folder + "/out.tif"
        do {
            let writer = try RasterWriter(path: path, width: 10, height: 10, type: .float32, options: .cog)
            try writer.write(ImageBuffer<Float>(width: 10, height: 10, filledWith: 1), x: 0, y: 0)
            #expect(folderContents(folder).count == 1, "one hidden temporary file while writing")
        }  // dropped without commit
        #expect(folderContents(folder).isEmpty)

        try writeRaster(ImageBuffer<Float>(width: 10, height: 10, filledWith: 1), to: path)
        let writer = try RasterWriter(path: path, width: 10, height: 10, type: .float32)
        try writer.write(ImageBuffer<Float>(width: 10, height: 10, filledWith: 2), x: 0, y: 0)
        writer.abort()
        #expect(try Dataset(path: path).read(Float.self, window: Window(width: 1, height: 1)).storage == [1],
                "an aborted rewrite keeps the old file")
        try writeRaster(ImageBuffer<Float>(width: 10, height: 10, filledWith: 3), to: path)
        #expect(try Dataset(path: path).read(Float.self, window: Window(width: 1, height: 1)).storage == [3])
        #expect(folderContents(folder) == ["out.tif"])
    }

    @Test("a dataset in GDAL's /vsimem/ is written and read through the same paths")
    func vsimem() throws {
        let path = "/vsimem/relief-\(UUID().uuidString).tif"
        let image = patternImage(Int16.self, width: 20, height: 20)
        try writeRaster(image, to: path, options: .geoTIFF)
        let ds = try Dataset(path: path)
        #expect(ds.path == path)
        #expect(try ds.readAll(Int16.self) == image)
    }
}
