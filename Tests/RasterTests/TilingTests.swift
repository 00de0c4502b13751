import Testing
@testable import Raster

@Suite("Tiling")
struct TilingTests {
    static let sizes = [(1, 1), (1, 9), (13, 11), (256, 256), (300, 257)]

    @Test("tile cores cover every pixel exactly once; halo windows are the clipped padded cores",
          arguments: [1, 7, 256, 1000])
    func coverage(tileSize: Int) throws {
        for (w, h) in Self.sizes {
            for halo in [0, 1, 5] {
                let tiling = try Tiling(width: w, height: h, tileWidth: tileSize, halo: halo)
                #expect(tiling.count == ((w + tileSize - 1) / tileSize) * ((h + tileSize - 1) / tileSize))
                var seen = [UInt8](repeating: 0, count: w * h)
                for tile in tiling {
                    #expect(tile.core.width >= 1 && tile.core.width <= tileSize && tile.core.height <= tileSize)
                    #expect(tile.paddedWindow == tile.core.expanded(by: halo))
                    #expect(tile.window == tile.paddedWindow.clipped(toWidth: w, height: h))
                    #expect(tile.window.intersection(tile.core) == tile.core)
                    for y in tile.core.y..<tile.core.maxY {
                        for x in tile.core.x..<tile.core.maxX { seen[y * w + x] += 1 }
                    }
                }
                #expect(seen.allSatisfy { $0 == 1 }, "\(w)x\(h) tile \(tileSize) halo \(halo): a pixel covered \(seen.max()!) or 0 times")
            }
        }
    }

    @Test("non-square tiles and a tile larger than the image")
    func shapes() throws {
        let tiling = try Tiling(width: 10, height: 6, tileWidth: 4, tileHeight: 5, halo: 2)
        #expect(tiling.columns == 3 && tiling.rows == 2)
        let last = tiling[tiling.count - 1]
        #expect(last.core == Window(x: 8, y: 5, width: 2, height: 1))
        #expect(last.window == Window(x: 6, y: 3, width: 4, height: 3))
        #expect(last.coreInWindow == Window(x: 2, y: 2, width: 2, height: 1))
        let one = try Tiling(width: 10, height: 6, tileWidth: 500, halo: 3)
        #expect(one.count == 1 && one[0].core == Window(width: 10, height: 6) && one[0].window == Window(width: 10, height: 6))
    }

    @Test("reading each tile's halo window and keeping its core rebuilds the image")
    func reassemble() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let path = folder + "/img.tif"
        let image = patternImage(UInt16.self, width: 45, height: 31)
        try writeRaster(image, to: path, options: .geoTIFF)
        let ds = try Dataset(path: path)
        for size in [1, 7, 256] {
            var rebuilt = ImageBuffer<UInt16>(width: 45, height: 31)
            for tile in try Tiling(width: 45, height: 31, tileWidth: size, halo: 2) {
                let padded = try ds.read(UInt16.self, window: tile.paddedWindow, fill: 9999)
                let core = padded.cropped(to: tile.coreInPaddedWindow)
                for y in 0..<core.height { for x in 0..<core.width { rebuilt[tile.core.x + x, tile.core.y + y] = core[x, y] } }
            }
            #expect(rebuilt == image, "tile size \(size)")
        }
    }

    @Test("absurd tilings are errors")
    func invalid() {
        #expect(throws: RasterError.self) { try Tiling(width: 0, height: 5, tileWidth: 4) }
        #expect(throws: RasterError.self) { try Tiling(width: 5, height: 5, tileWidth: 0) }
        #expect(throws: RasterError.self) { try Tiling(width: 5, height: 5, tileWidth: 2, halo: -1) }
    }
}
