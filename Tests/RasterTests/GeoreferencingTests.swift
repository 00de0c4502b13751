import Foundation
import Testing
@testable import Raster

@Suite("Geotransforms and CRS")
struct GeoreferencingTests {
    @Test("inverse geotransform maps back, rotated grids included")
    func inverse() throws {
        for gt in [GeoTransform(originX: 680_000, originY: 4_900_000, pixelWidth: 0.5, pixelHeight: 0.5),
                   GeoTransform(100, 0.8, 0.3, 200, -0.2, -0.9)] {
            let inv = try #require(gt.inverted())
            let (x, y) = gt.apply(pixel: 12.25, line: 7.5)
            let (p, l) = inv.apply(pixel: x, line: y)
            #expect(abs(p - 12.25) < 1e-9 && abs(l - 7.5) < 1e-9)
        }
        #expect(GeoTransform(0, 1, 2, 0, 2, 4).inverted() == nil)
    }

    @Test("EPSG codes, WKT round trip, and a UTM transform of a known point")
    func crs() throws {
        let utm = try SpatialReference(epsg: 32631)
        #expect(utm.epsg == 32631 && utm.isProjected)
        #expect(try SpatialReference(utm.wkt).isSame(as: utm))
        let wgs84 = try SpatialReference(epsg: 4326)
        #expect(wgs84.isGeographic)
        // 3E is the central meridian of zone 31: easting 500000 exactly.
        let p = try CoordinateTransformation(from: wgs84, to: utm).transform(x: 3, y: 44)
        #expect(abs(p.x - 500_000) < 1e-6)
        // 0.9996 x the WGS84 meridian arc to 44N, integrated numerically (scipy quad): 4871872.8408 m.
        #expect(abs(p.y - 4_871_872.8408) < 1e-3)
        #expect(SpatialReference.utmEPSG(longitude: 55.65, latitude: -21.23) == 32740)
        #expect(SpatialReference.utmEPSG(longitude: 5.16, latitude: 44.2) == 32631)
        #expect(throws: RasterError.self) { try SpatialReference("not a crs at all") }
    }

    @Test("A compound CRS (UTM + EGM96 height): its horizontal EPSG, vertical EPSG and name, stripped to horizontal")
    func compound() throws {
        let c = try SpatialReference.compound(horizontalEPSG: 32631, verticalEPSG: 5773)
        #expect(c.isCompound && c.epsg == 32631 && c.verticalEPSG == 5773, "\(c.wkt)")
        #expect(c.verticalName?.contains("EGM96") == true)
        let h = try #require(c.horizontal)
        #expect(!h.isCompound && h.epsg == 32631 && h.verticalEPSG == nil)
        #expect(try SpatialReference(epsg: 32631).isCompound == false)
        // Written to a file and read back, the vertical part stays.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relief-compound-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeRaster(ImageBuffer<Float>(width: 4, height: 4, filledWith: 1), to: folder + "/c.tif",
                        geoTransform: GeoTransform(originX: 500_000, originY: 4_900_000, pixelWidth: 1, pixelHeight: -1),
                        spatialReference: c)
        let back = try #require(try Dataset(path: folder + "/c.tif").spatialReference)
        #expect(back.isCompound && back.epsg == 32631 && back.verticalEPSG == 5773, "\(back.wkt)")
    }
}
