import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// `HeightRaster` / `OrthoHeightSource.raster`: heights read window by window give the values
/// of the whole raster in memory, bit for bit.
@Suite("Height rasters read by windows")
struct HeightRasterTests {
    /// A 157x113 Float32 GeoTIFF in UTM 31N (2 m samples): a smooth surface with NaN holes and
    /// cells holding the declared nodata value -9999; returns its path and the heights with both
    /// kinds of no data as NaN.
    static func makeRaster(in folder: String) throws -> (path: String, heights: ImageBuffer<Float>, gt: GeoTransform) {
        var values = ImageBuffer<Float>(width: 157, height: 113, filledWith: 0)
        var expected = values
        for y in 0..<values.height {
            for x in 0..<values.width {
                var v = Float(120 + 30 * sin(Double(x) / 17) + 0.37 * Double(y) + Double((x * 7 + y * 13) % 11) / 8)
                expected[x, y] = v
                if (x / 9 + y / 7) % 13 == 0 { v = .nan; expected[x, y] = .nan }
                if (x * 5 + y * 3) % 41 == 0 { v = -9999; expected[x, y] = .nan }
                values[x, y] = v
            }
        }
        let gt = GeoTransform(653_000.5, 2, 0, 4_890_000.25, 0, -2)
        let path = folder + "/heights.tif"
        try writeRaster(values, to: path, options: .geoTIFF, geoTransform: gt, spatialReference: try SpatialReference(epsg: 32631),
                        nodata: -9999)
        return (path, expected, gt)
    }

    @Test("Windows sample as the whole raster, also across its borders and outside it; block-wise range = whole range")
    func windowsMatchWholeRaster() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let (path, heights, gt) = try Self.makeRaster(in: folder)
        let raster = try HeightRaster(path: path, geoid: nil)
        let whole = try HeightGrid(values: heights, geoTransform: gt, epsg: 32631, source: path)
        let dataset = try Dataset(path: path)
        #expect(raster.width == 157 && raster.height == 113 && raster.nodata == -9999 && raster.epsg == 32631)

        // Boxes of 1-40 samples anywhere over the raster and 12 samples beyond it; points inside each box.
        var rng = SplitMix64(seed: 7)
        let c = gt.coefficients
        var compared = 0, valid = 0, outside = 0
        for _ in 0..<300 {
            let bx = Double(rng.next() % 182) - 12, by = Double(rng.next() % 138) - 12
            let bw = Double(rng.next() % 40) + 0.3, bh = Double(rng.next() % 40) + 0.3
            let minX = c.0 + bx * c.1, maxX = minX + bw * c.1, maxY = c.3 + by * c.5, minY = maxY + bh * c.5
            let window = try raster.window(minX: minX, minY: minY, maxX: maxX, maxY: maxY, dataset: dataset)
            if let window { #expect(window.values.width * window.values.height <= (Int(bw) + 5) * (Int(bh) + 5)) }
            for _ in 0..<40 {
                let x = minX + Double(rng.next() % 1001) / 1000 * (maxX - minX)
                let y = minY + Double(rng.next() % 1001) / 1000 * (maxY - minY)
                let expected = whole.sample(x: x, y: y), got = window?.sample(x: x, y: y) ?? .nan
                compared += 1
                if expected.isNaN {
                    #expect(got.isNaN, "(\(x), \(y)): \(got), whole raster NaN")
                } else {
                    valid += 1
                    #expect(got == expected, "(\(x), \(y)): window \(got), whole raster \(expected)")
                }
                if window == nil { outside += 1 }
            }
        }
        #expect(valid > compared / 2 && outside > 0, "\(valid) valid and \(outside) outside of \(compared)")

        let range = try #require(try raster.valueRange())
        let finite = heights.storage.filter { !$0.isNaN }
        #expect(range == Double(finite.min()!)...Double(finite.max()!))
    }

    @Test("A DEM's height range read in strips of a few rows = in one strip, inside the raster's own range")
    func heightRangeInStrips() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let (path, heights, gt) = try Self.makeRaster(in: folder)
        let c = gt.coefficients
        // The lon/lat box of the raster's central part (UTM 31N -> WGS84).
        var xs = [c.0 + 20 * c.1, c.0 + 140 * c.1], ys = [c.3 + 15 * c.5, c.3 + 100 * c.5], zs = [0.0, 0]
        try CoordinateTransformation(from: try SpatialReference(epsg: 32631), to: try SpatialReference(epsg: 4326))
            .transform(x: &xs, y: &ys, z: &zs)
        let box = GroundBox(minLongitude: xs.min()!, maxLongitude: xs.max()!, minLatitude: ys.min()!, maxLatitude: ys.max()!)
        let whole = try HeightRange.fromDEM(path, covering: box, geoid: nil, margin: 5, stripSamples: 1 << 20)
        let strips = try HeightRange.fromDEM(path, covering: box, geoid: nil, margin: 5, stripSamples: 700)  // 4-6 rows each
        #expect(strips.lower == whole.lower && strips.upper == whole.upper && strips.origin == whole.origin)
        let finite = heights.storage.filter { !$0.isNaN }
        #expect(whole.lower >= Double(finite.min()!) - 5 && whole.upper <= Double(finite.max()!) + 5)
        #expect(whole.upper - whole.lower > 40, "the surface spans about 60 m: \(whole.lower)...\(whole.upper)")
    }

    @Test("Ortho on the Réunion DSM: heights read tile by tile = heights in memory, bit for bit (grid reaching past the DSM)",
          .enabled(if: SampleData.root != nil, SampleData.skipMessage))
    func orthoEqualsInMemoryHeights() throws {
        let dsmPath = try SampleData.path("s2p_reunion_pair/expected_output/pair/dsm.tif")
        let dsm = try Dataset(path: dsmPath)
        let gt = try #require(dsm.geoTransform)
        let epsg = try #require(dsm.spatialReference?.epsg)
        var values = try dsm.readAll(Float.self)
        if let nodata = try dsm.nodata(), !nodata.isNaN {
            for k in values.storage.indices where values.storage[k] == Float(nodata) { values.storage[k] = .nan }
        }
        let inMemory = try HeightGrid(values: values, geoTransform: gt, epsg: epsg, source: dsmPath)
        // 220x200 cells whose left 20 columns and top 10 rows lie outside the DSM.
        let a = gt.array
        let grid = try OrthoGrid(epsg: epsg, originX: a[0] - 20 * a[1], originY: a[3] - 10 * a[5], resolution: a[1],
                                 width: 220, height: 200)
        let image = try SampleData.path("s2p_reunion_pair/input_pair/img_01.tif")
        var options = OrthoOptions(resampling: .bicubic)
        options.tileSize = 64
        let (tiled, _) = try Orthorectifier(image: image, heights: .raster(path: dsmPath, geoid: nil), grid: grid)
            .orthorectify(options: options)
        let (whole, _) = try Orthorectifier(image: image, heights: .grid(inMemory), grid: grid).orthorectify(options: options)
        var valid = 0, differing = 0
        for k in whole.storage.indices {
            let (p, q) = (tiled.storage[k], whole.storage[k])
            if p.isNaN && q.isNaN { continue }
            valid += 1
            if p != q { differing += 1 }
        }
        #expect(differing == 0, "\(differing) of \(valid) cells differ")
        #expect(valid > 220 * 200 / 2, "\(valid) cells with a value")
        // The columns outside the DSM have no height, hence no value.
        #expect((0..<200).allSatisfy { y in (0..<19).allSatisfy { x in tiled[x, y].isNaN } })
    }
}
