import Foundation
import Photogrammetry
import Testing

/// EGM96 geoid conversion against PROJ. Reference undulations N were computed with GDAL 3.6 /
/// PROJ 9 on the same grid (`gdaltransform -s_srs EPSG:4979 -t_srs "+proj=longlat
/// +datum=WGS84 +geoidgrids=egm96_15.gtx +type=crs"`, which prints h - N for h = 0) and are
/// printed to 1e-12 m; PROJ interpolates bilinearly in Float32 grid values, so we allow 1e-4 m.
@Suite("RPC geoid (EGM96)", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct RPCGeoidTests {
    static let reference: [(lon: Double, lat: Double, n: Double)] = [
        (5.163, 44.229, 50.871661158508),      // Mont Ventoux
        (55.65, -21.231, 2.265782490158),      // La Réunion (s2p pair)
        (-179.9, 10.1, 12.527552833557),       // next to the antimeridian
        (179.93, -45.07, 2.868340691948),      // wraps to -180
        (-70.3, -89.95, -29.545419006348),     // last grid row
    ]

    @Test("undulations agree with PROJ's +geoidgrids, heights convert both ways")
    func againstPROJ() throws {
        let geoid = try Geoid(path: try SampleData.path("dem_geoid/dtm/geoid/egm96_15.gtx"))
        for r in Self.reference {
            let n = try geoid.undulation(longitude: r.lon, latitude: r.lat)
            #expect(abs(n - r.n) < 1e-4, "N(\(r.lon), \(r.lat)) = \(n), PROJ \(r.n)")
            let H = try geoid.geoidHeight(ellipsoidHeight: 480, longitude: r.lon, latitude: r.lat)
            #expect(abs(H - (480 - r.n)) < 1e-4)
            let h = try geoid.ellipsoidHeight(geoidHeight: H, longitude: r.lon, latitude: r.lat)
            #expect(abs(h - 480) < 1e-9)
        }
        // Batched conversion equals the scalar one.
        let lons = Self.reference.map(\.lon), lats = Self.reference.map(\.lat)
        let hs = [Double](repeating: 100, count: lons.count)
        let batch = try geoid.geoidHeights(ellipsoidHeights: hs, longitudes: lons, latitudes: lats)
        for (i, r) in Self.reference.enumerated() { #expect(abs(batch[i] - (100 - r.n)) < 1e-4) }
        let back = try geoid.ellipsoidHeights(geoidHeights: batch, longitudes: lons, latitudes: lats)
        #expect(zip(back, hs).allSatisfy { abs($0 - $1) < 1e-9 })
        // Longitudes given in 0...360 are the same place.
        let a = try geoid.undulation(longitude: -179.9, latitude: 10.1), b = try geoid.undulation(longitude: 180.1, latitude: 10.1)
        #expect(abs(a - b) < 1e-9)
        #expect(throws: RPCError.self) { try geoid.undulation(longitude: 5, latitude: 91) }
        #expect(throws: RPCError.self) { try geoid.undulation(longitude: .nan, latitude: 44) }
    }
}
