import Foundation
@testable import Photogrammetry
import Testing

/// One STAC Item type for the PWH recipe and the HTTP front: its JSON has the STAC keys, leaves
/// out what is unknown, and decodes back to the same value.
@Suite("STAC Item") struct STACItemTests {
    static func pwhItem(sun: Bool) throws -> PWHStacItem {
        let grid = try OrthoGrid(epsg: 32631, originX: 680_000, originY: 4_900_000, resolution: 0.5, width: 400, height: 300)
        let scene = PWHSceneInfo(platform: "pleiades-1b", instrument: "phr", datetime: "2013-06-29T06:37:14.4Z",
                                 sunElevation: sun ? 61.2 : nil, sunAzimuth: sun ? 140.5 : nil)
        var item = PWHStacItem(id: "demo_PWH", footprint: [SIMD2(5.2, 44.1), SIMD2(5.3, 44.1), SIMD2(5.3, 44.2)], scene: scene, grid: grid,
                               dataHref: "./demo_PWH.tif", metadataHref: "/archive/p/DIM_P.XML")
        item.extra = ["relief:height_source": "constant 340 m"]
        return item
    }

    @Test func pwhItemJSON() throws {
        let json = try #require(try JSONSerialization.jsonObject(with: try Self.pwhItem(sun: true).data()) as? [String: Any])
        #expect(json["type"] as? String == "Feature" && json["stac_version"] as? String == "1.0.0")
        #expect((json["stac_extensions"] as? [String])?.count == 2)
        let ring = try #require(((json["geometry"] as? [String: Any])?["coordinates"] as? [[[Double]]])?.first)
        #expect(ring.count == 4 && ring.first == ring.last, "closed: \(ring)")
        #expect(json["bbox"] as? [Double] == [5.2, 44.1, 5.3, 44.2])
        let p = try #require(json["properties"] as? [String: Any])
        #expect(p["datetime"] as? String == "2013-06-29T06:37:14.4Z")
        #expect(p["proj:epsg"] as? Int == 32631 && p["proj:shape"] as? [Int] == [300, 400] && p["gsd"] as? Double == 0.5)
        #expect(p["proj:transform"] as? [Double] == [0.5, 0, 680_000, 0, -0.5, 4_900_000])
        #expect(p["instruments"] as? [String] == ["phr"] && p["view:sun_azimuth"] as? Double == 140.5)
        #expect(p["relief:height_source"] as? String == "constant 340 m")
        let assets = try #require(json["assets"] as? [String: [String: Any]])
        #expect(assets["data"]?["href"] as? String == "./demo_PWH.tif" && assets["metadata"]?["type"] as? String == "application/xml")

        let plain = try #require(try JSONSerialization.jsonObject(with: try Self.pwhItem(sun: false).data()) as? [String: Any])
        #expect((plain["stac_extensions"] as? [String]) == [STACItem.projectionExtension], "no view extension without sun angles")
        #expect((plain["properties"] as? [String: Any])?["view:sun_elevation"] == nil)
    }

    @Test func decodesBackToTheSameItem() throws {
        for sun in [true, false] {
            let item = try Self.pwhItem(sun: sun).item
            #expect(try JSONDecoder().decode(STACItem.self, from: item.encoded()) == item)
        }
        var p = STACItem.Properties(datetime: "2026-11-25T20:00:00.000Z")
        p.startDatetime = "2013-06-29T06:37:14.400Z"
        p.extra = ["relief:process": "dsm"]
        let dsm = STACItem(id: "relief-job-1", ring: [[55, -21], [55.1, -21], [55.1, -21.1], [55, -21]], properties: p,
                           assets: [:], links: [.init(rel: "self", href: "http://x/jobs/1/stac", type: "application/geo+json")],
                           extensions: [STACItem.projectionExtension])
        #expect(dsm.geometry.coordinates[0].count == 4, "an already closed ring is kept as is")
        #expect(try JSONDecoder().decode(STACItem.self, from: dsm.encoded()) == dsm)
    }
}
