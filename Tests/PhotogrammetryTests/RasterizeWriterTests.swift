import Foundation
import Photogrammetry
import Raster
import Testing

/// Writing DSMs: the COG reads back with the grid's geotransform, EPSG, NaN nodata, datum
/// metadata and the one-shot heights; geoid heights and automatic UTM zones.
@Suite("Rasterize: DSM writer")
struct RasterizeWriterTests {
    @Test("the written COG has the grid's geotransform, EPSG, NaN nodata, metadata and heights")
    func roundTrip() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let grid = try unitGrid(width: 70, height: 45, resolution: 0.5)
        let cloud = syntheticCloud(grid: grid, count: 20000)
        let parameters = RasterizationParameters(statistic: .median, maxHoleArea: 4, tileSize: 32)
        let path = folder + "/dsm.tif"
        let summary = try writeDSM(cloud, grid: grid, to: path, parameters: parameters)

        let expected = rasterizeDSM(cloud, grid: grid, parameters: parameters)
        let valid = expected.heights.storage.filter { !$0.isNaN }.count
        #expect(summary.validCells == valid && summary.cellsWithPoints == expected.counts.storage.filter { $0 > 0 }.count)
        #expect(summary.validCells > summary.cellsWithPoints)  // some holes were filled

        let dataset = try Dataset(path: path)
        #expect(dataset.width == 70 && dataset.height == 45)
        #expect(dataset.geoTransform == GeoTransform(100, 0.5, 0, 200, 0, -0.5))
        #expect(dataset.spatialReference?.epsg == 32631)
        #expect(try dataset.pixelType() == .float32)
        #expect(try #require(try dataset.nodata()).isNaN)
        #expect(dataset.metadata(domain: "IMAGE_STRUCTURE")["LAYOUT"] == "COG")
        let metadata = dataset.metadata()
        #expect(metadata["VERTICAL_DATUM"] == "WGS84 ellipsoid")
        #expect(metadata["DSM_CELL_STATISTIC"] == "median")
        #expect(differingCells(try dataset.readAll(Float.self), expected.heights) == 0)
    }

    @Test("a geoid datum needs the CRS; a bad output folder throws and leaves nothing")
    func failures() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let noCRS = try DSMGrid(originX: 0, originY: 10, resolution: 1, width: 4, height: 4)
        let cloud = PointCloud(x: [1], y: [9], z: [5])
        // A geoid object is needed to ask for the geoid datum; the check comes before any use.
        if SampleData.root != nil {
            let geoid = try Geoid(path: try SampleData.path("dem_geoid/dtm/geoid/egm96_15.gtx"))
            #expect(throws: DSMError.missingCRS(source: "the DSM grid")) {
                try writeDSM(cloud, grid: noCRS, to: folder + "/g.tif", datum: .geoid(geoid))
            }
        }
        #expect(throws: RasterError.self) { try writeDSM(cloud, grid: noCRS, to: folder + "/no/such/dsm.tif") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        // Without a CRS (and ellipsoidal heights) the DSM is still written, without SRS.
        _ = try writeDSM(cloud, grid: noCRS, to: folder + "/plain.tif")
        #expect(try Dataset(path: folder + "/plain.tif").spatialReference == nil)
    }

    @Test("geoid heights: h - N at the cell centres, EGM96 metadata; automatic UTM zone",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func geoid() throws {
        let geoid = try Geoid(path: try SampleData.path("dem_geoid/dtm/geoid/egm96_15.gtx"))
        // Around (55.65 E, 21.231 S), La Réunion (RPCGeoidTests checks N there against PROJ).
        var lons: [Double] = [], lats: [Double] = [], hs: [Double] = []
        for i in 0..<20 {
            for j in 0..<20 {
                lons.append(55.65 + Double(i) * 1e-5)
                lats.append(-21.231 + Double(j) * 1e-5)
                hs.append(100)
            }
        }
        let cloud = try PointCloud.projecting(longitudes: lons, latitudes: lats, heights: hs)
        #expect(cloud.epsg == 32740)  // UTM 40 south, chosen from the points
        let grid = try DSMGrid.plyflatten(cloud: cloud, resolution: 2)
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let path = folder + "/dsm.tif"
        let summary = try writeDSM(cloud, grid: grid, to: path, parameters: RasterizationParameters(tileSize: 5), datum: .geoid(geoid))
        #expect(summary.validCells > 50)
        let dataset = try Dataset(path: path)
        #expect(dataset.metadata()["VERTICAL_DATUM"] == "EGM96 geoid")
        let heights = try dataset.readAll(Float.self)
        // Independent of the UTM -> WGS84 step: N at the mean longitude/latitude of each cell's
        // points, at most 1.5 m from the cell centre. N changes by 4.6e-5 m per metre here
        // (measured between neighbouring cells), so 1.5 m -> 7e-5 m; Float32 at 100 m: 7.6e-6 m.
        var sums = [Int: (lon: Double, lat: Double, n: Double)]()
        for k in 0..<cloud.count {
            let cell = Int(grid.row(y: cloud.y[k])) * grid.width + Int(grid.column(x: cloud.x[k]))
            let s = sums[cell, default: (0, 0, 0)]
            sums[cell] = (s.lon + lons[k], s.lat + lats[k], s.n + 1)
        }
        var checked = 0
        for (cell, s) in sums {
            let n = try geoid.undulation(longitude: s.lon / s.n, latitude: s.lat / s.n)
            let v = heights[cell % grid.width, cell / grid.width]
            #expect(abs(Double(v) - (100 - n)) < 1e-4, "cell \(cell): \(v) vs \(100 - n)")
            checked += 1
        }
        #expect(checked == summary.cellsWithPoints)
    }

    @Test("projecting: an explicit EPSG wins, NaN longitudes stay NaN and are not rasterised")
    func projecting() throws {
        let cloud = try PointCloud.projecting(longitudes: [2.35, .nan], latitudes: [48.85, 48.85], heights: [35, 36], epsg: 2154)
        #expect(cloud.epsg == 2154)
        #expect(abs(cloud.x[0] - 652_000) < 2_000 && abs(cloud.y[0] - 6_862_000) < 2_000)  // Paris in Lambert-93
        #expect(cloud.x[1].isNaN && cloud.z == [35, 36])
        #expect(throws: DSMError.self) { try PointCloud.projecting(longitudes: [.nan], latitudes: [1], heights: [1]) }
    }

    @Test("reprojection: a projected cloud stays, a geographic one goes to its UTM zone, round trips")
    func reprojection() throws {
        let utm = PointCloud(x: [360_000, 360_100], y: [7_651_900, 7_651_800], z: [1, 2], epsg: 32740, attributes: ["c": [5, 6]])
        #expect(try utm.inGridCRS() == utm)
        let geographic = try utm.reprojected(to: 4326)
        #expect(abs(geographic.x[0] - 55.65) < 0.01 && abs(geographic.y[0] + 21.23) < 0.01)  // Réunion
        #expect(geographic.z == [1, 2] && geographic.attributes["c"] == [5, 6])
        let back = try geographic.inGridCRS()  // geographic -> UTM zone chosen: 40 south
        #expect(back.epsg == 32740)
        // PROJ's transverse Mercator round trip is good to well under a millimetre.
        for i in 0..<2 { #expect(abs(back.x[i] - utm.x[i]) < 1e-6 && abs(back.y[i] - utm.y[i]) < 1e-6) }
        let other = try utm.inGridCRS(epsg: 32741)
        #expect(other.epsg == 32741 && abs(other.x[0] - utm.x[0]) > 1000)
        #expect(throws: DSMError.missingCRS(source: "c.ply")) {
            try PointCloud(x: [1], y: [2], z: [3]).inGridCRS(source: "c.ply")
        }
    }
}
