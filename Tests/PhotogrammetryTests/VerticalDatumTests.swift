import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("Vertical datum declared in the outputs, converted by compare", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct VerticalDatumTests {
    /// A 20x20 grid of 10 m cells on UTM 31N near Mont Ventoux (44.23N 5.16E, N about 49.5 m).
    static let geoTransform = GeoTransform(originX: 673_000, originY: 4_900_000, pixelWidth: 10, pixelHeight: -10)

    @Test("An ellipsoidal DSM and the same surface in EGM96 heights: compare refuses without the geoid, agrees with it")
    func compareAcrossDatums() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let geoid = try Geoid(path: try SampleData.path("dem_geoid/dtm/geoid/egm96_15.gtx"))
        let grid = try DSMGrid(originX: 673_000, originY: 4_900_000, resolution: 10, width: 20, height: 20, epsg: 32631)
        var ellipsoidal = ImageBuffer<Float>(width: 20, height: 20, filledWith: 0)
        for j in 0..<20 { for i in 0..<20 { ellipsoidal[i, j] = Float(500 + i + 2 * j) } }
        var egm96 = ellipsoidal
        try convertToGeoidHeights(&egm96, window: Window(width: 20, height: 20), grid: grid, geoid: geoid)
        #expect(abs(Double(ellipsoidal[0, 0] - egm96[0, 0]) - 49.5) < 2, "undulation \(ellipsoidal[0, 0] - egm96[0, 0]) m")
        try writeRaster(ellipsoidal, to: folder + "/e.tif", geoTransform: Self.geoTransform,
                        spatialReference: try VerticalDatum.ellipsoid.spatialReference(horizontalEPSG: 32631), nodata: .nan,
                        metadata: ["": ["VERTICAL_DATUM": VerticalDatum.ellipsoid.metadataValue]])
        try writeRaster(egm96, to: folder + "/g.tif", geoTransform: Self.geoTransform,
                        spatialReference: try VerticalDatum.geoid(geoid).spatialReference(horizontalEPSG: 32631), nodata: .nan)
        #expect(try Dataset(path: folder + "/g.tif").spatialReference?.verticalEPSG == 5773)
        #expect(throws: DSMError.self) { try DSMComparison.compare(dsm: folder + "/e.tif", reference: folder + "/g.tif") }
        for (a, b) in [("e", "g"), ("g", "e")] {
            let c = try DSMComparison.compare(dsm: folder + "/\(a).tif", reference: folder + "/\(b).tif", geoid: geoid)
            // Same surface, one datum each: the 49.5 m undulation is converted away. Measured 3.3 mm
            // left (the two conversions sample N at positions a few metres apart on a geoid
            // sloping about 1 mm/m): 1 cm tolerance.
            #expect(abs(c.median) < 0.01 && c.nmad < 0.01 && c.common == 400, "\(a) vs \(b): \(c)")
        }
    }

    @Test("An EGM96 DSM's CRS is compound (UTM + EGM96 height); an ellipsoidal one is horizontal only")
    func dsmCRS() throws {
        let geoid = try Geoid(path: try SampleData.path("dem_geoid/dtm/geoid/egm96_15.gtx"))
        #expect(try VerticalDatum.geoid(geoid).spatialReference(horizontalEPSG: 32631).verticalEPSG == 5773)
        #expect(try VerticalDatum.ellipsoid.spatialReference(horizontalEPSG: 32631).isCompound == false)
        var z = [500.0]
        try VerticalDatum.geoid(geoid).convert(heights: &z, x: [673_000], y: [4_900_000], epsg: 32631)
        #expect(abs(z[0] - (500 - 49.5)) < 2, "\(z)")
    }
}
