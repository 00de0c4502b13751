import Foundation
import Testing
@testable import Photogrammetry

@Suite("A tile's points projected to UTM through the checked lattice")
struct ProjectionLatticeTests {
    static func points(_ n: Int, lon: Double, lat: Double, extent: Double, seed: UInt64) -> ([Double], [Double], [Double]) {
        var generator = SplitMix64(seed: seed)
        var lons: [Double] = [], lats: [Double] = [], hs: [Double] = []
        for _ in 0..<n {
            lons.append(lon + extent * Double(generator.next() % 1_000_000) / 1_000_000)
            lats.append(lat + extent * Double(generator.next() % 1_000_000) / 1_000_000)
            hs.append(Double(generator.next() % 1000))
        }
        return (lons, lats, hs)
    }

    @Test("A 300 m tile (Réunion's latitude, far from the zone's meridian): within 0.1 mm of PROJ, heights untouched, NaN kept NaN")
    func smallTile() throws {
        var (lons, lats, hs) = Self.points(20_000, lon: 55.70, lat: -21.10, extent: 0.003, seed: 1)
        lons[7] = .nan
        let a = try PointCloud.projectingTile(longitudes: lons, latitudes: lats, heights: hs, epsg: 32740)
        let e = try PointCloud.projecting(longitudes: lons, latitudes: lats, heights: hs, epsg: 32740)
        var worst = 0.0
        for i in lons.indices where i != 7 { worst = max(worst, abs(a.x[i] - e.x[i]), abs(a.y[i] - e.y[i])) }
        #expect(worst <= 1e-4, "largest difference \(worst) m")
        #expect(worst > 0, "interpolated, not projected exactly")
        #expect(a.z == hs && a.x[7].isNaN && a.y[7].isNaN && a.epsg == 32740)
    }

    @Test("An area too large for the lattice, or a handful of points: exactly PROJ's")
    func fallsBack() throws {
        let (lons, lats, hs) = Self.points(5000, lon: 5.0, lat: 44.0, extent: 0.2, seed: 2)
        let a = try PointCloud.projectingTile(longitudes: lons, latitudes: lats, heights: hs, epsg: 32631)
        let e = try PointCloud.projecting(longitudes: lons, latitudes: lats, heights: hs, epsg: 32631)
        #expect(a.x == e.x && a.y == e.y)
        let few = try PointCloud.projectingTile(longitudes: Array(lons.prefix(10)), latitudes: Array(lats.prefix(10)),
                                                heights: Array(hs.prefix(10)), epsg: 32631)
        #expect(few.x == Array(e.x.prefix(10)))
    }
}
