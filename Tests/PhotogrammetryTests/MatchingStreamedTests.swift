import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// `StereoMatcher.matchStreamed` (and `dsm-run match`'s full search): tiles read from the files
/// and handed out one by one give `matchTiled`'s result on the images in memory, bit for bit.
@Suite("Matching streamed from files")
struct MatchingStreamedTests {
    /// A textured 150x110 pair shifted by 7 px, with a few pixels at the nodata value 0 in the
    /// left image, written as Float32 GeoTIFFs.
    static func pairFiles(in folder: String) throws -> (left: String, right: String, images: (ImageBuffer<Float>, ImageBuffer<Float>)) {
        var (left, right) = shiftedPair(width: 150, height: 110, disparity: 7, seed: 23)
        for i in stride(from: 5, to: left.storage.count, by: 97) { left.storage[i] = 0 }
        let paths = (folder + "/left.tif", folder + "/right.tif")
        try writeRaster(left, to: paths.0, options: .geoTIFF)
        try writeRaster(right, to: paths.1, options: .geoTIFF)
        return (paths.0, paths.1, (left, right))
    }

    /// The tiles' results assembled into whole-image maps; also checks that they cover the image once.
    static func assemble(_ left: Dataset, _ right: Dataset, disparities: ClosedRange<Int> = -3...20, tileSize: Int?,
                         parameters: StereoMatchingParameters, nodata: Float?) throws -> (result: StereoMatchResult, tiles: Int) {
        var result = StereoMatchResult.allNaN(width: left.width, height: left.height)
        var covered = [Int](repeating: 0, count: left.width * left.height), tiles = 0
        try StereoMatcher.matchStreamed(left: left, right: right, band: 1, disparities: disparities, parameters: parameters,
                                        nodata: nodata, tileSize: tileSize) { core, tile in
            tiles += 1
            #expect(tile.disparity.width == core.width && tile.disparity.height == core.height)
            for y in 0..<core.height {
                for x in 0..<core.width {
                    let i = (core.y + y) * left.width + core.x + x
                    result.disparity.storage[i] = tile.disparity[x, y]
                    result.confidence.storage[i] = tile.confidence[x, y]
                    covered[i] += 1
                }
            }
        }
        #expect(covered.allSatisfy { $0 == 1 }, "every pixel in exactly one tile")
        return (result, tiles)
    }

    static func equal(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    }

    @Test("Several tiles (tile size 48, and a 2 MiB budget: strips) and one whole-image tile equal matchTiled bit for bit")
    func equalsMatchTiled() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let (l, r, (left, right)) = try Self.pairFiles(in: folder)
        let (leftFile, rightFile) = (try Dataset(path: l), try Dataset(path: r))
        var small = StereoMatchingParameters()
        small.memoryLimit = 2 << 20
        for (tileSize, parameters, expectedTiles) in [(48, StereoMatchingParameters(), 12), (nil, small, -1),
                                                      (nil, StereoMatchingParameters(), 1)] as [(Int?, StereoMatchingParameters, Int)] {
            let streamed = try Self.assemble(leftFile, rightFile, tileSize: tileSize, parameters: parameters, nodata: 0)
            let inMemory = try StereoMatcher.matchTiled(left: left, right: right, disparities: -3...20, parameters: parameters,
                                                        nodata: 0, tileSize: tileSize)
            if expectedTiles > 0 { #expect(streamed.tiles == expectedTiles) } else { #expect(streamed.tiles > 2) }
            #expect(Self.equal(streamed.result.disparity.storage, inMemory.disparity.storage), "tile size \(String(describing: tileSize))")
            #expect(Self.equal(streamed.result.confidence.storage, inMemory.confidence.storage))
            let valid = streamed.result.disparity.storage.filter { !$0.isNaN }
            #expect(valid.count > 150 * 110 / 2 && valid.filter { abs($0 - 7) <= 1 }.count >= valid.count * 9 / 10)
        }
    }

    @Test("Coarse to fine in blocks: one block equals matchTiled bit for bit; nine blocks (128 px) as accurate on a stepped pair")
    func pyramidBlocks() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let (left, right, truth) = steppedSyntheticPair(size: 320, disparities: 64, seed: 11)
        try writeRaster(left, to: folder + "/left.tif", options: .geoTIFF)
        try writeRaster(right, to: folder + "/right.tif", options: .geoTIFF)
        let (leftFile, rightFile) = (try Dataset(path: folder + "/left.tif"), try Dataset(path: folder + "/right.tif"))
        var pyramid = StereoMatchingParameters()
        pyramid.search = .pyramid
        let inMemory = try StereoMatcher.matchTiled(left: left, right: right, disparities: 0...63, parameters: pyramid)
        let one = try Self.assemble(leftFile, rightFile, disparities: 0...63, tileSize: nil, parameters: pyramid, nodata: nil)
        #expect(one.tiles == 1)
        #expect(Self.equal(one.result.disparity.storage, inMemory.disparity.storage))
        #expect(Self.equal(one.result.confidence.storage, inMemory.confidence.storage))
        let blocks = try Self.assemble(leftFile, rightFile, disparities: 0...63, tileSize: 128, parameters: pyramid, nodata: nil)
        #expect(blocks.tiles == 9)
        let (whole, cut) = (MatchingPyramidTests.badShare(inMemory.disparity, truth),
                            MatchingPyramidTests.badShare(blocks.result.disparity, truth))
        print(String(format: "stepped pair 320x320, pyramid: bad-1px one block %.2f %%, nine blocks %.2f %%", whole, cut))
        #expect(cut <= whole + 0.5, "one block \(whole) %, nine blocks \(cut) %")
        // Each pixel's block sees the same pixels as the whole image within its window, so most of
        // the blocks' disparities are the whole image's (measured: 91 %; a block read or pasted a
        // pixel off would leave few equal on this stepped, slanted scene).
        let same = zip(blocks.result.disparity.storage, inMemory.disparity.storage).filter { $0 == $1 }.count
        print("stepped pair, nine blocks: \(same) of \(320 * 320) pixels equal to one block's")
        #expect(same >= 320 * 320 * 8 / 10, "\(same) pixels equal")
    }

    @Test("Coarse-to-fine blocks fit the budget: 3840 px for 512 MiB and 128 disparities, smaller for wide ranges, 512 at least")
    func pyramidBlockSides() {
        #expect(StereoMatcher.pyramidBlockSide(memoryLimit: 512 << 20, disparities: 0...127) == 3840)
        var previous = Int.max
        for reach in [0, 127, 1000, 4000, 20000] {
            let side = StereoMatcher.pyramidBlockSide(memoryLimit: 512 << 20, disparities: -reach / 2...(reach - reach / 2))
            let margin = 2 * StereoMatcher.pyramidBlockMargin
            #expect(side % 256 == 0 && side >= 512 && side <= previous)
            if side > 512 {
                #expect((side + reach + margin) * (side + margin) * StereoMatcher.pyramidBlockBytesPerPixel <= 512 << 20, "reach \(reach)")
            }
            previous = side
        }
        #expect(StereoMatcher.pyramidBlockSide(memoryLimit: 1 << 20, disparities: 0...63) == 512)
    }

    @Test("Mismatched sizes are refused")
    func refusals() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let (l, _, _) = try Self.pairFiles(in: folder)
        try writeRaster(ImageBuffer<Float>(width: 149, height: 110, filledWith: 1), to: folder + "/narrow.tif", options: .geoTIFF)
        for search in [DisparitySearch.full, .pyramid] {
            var parameters = StereoMatchingParameters()
            parameters.search = search
            #expect(throws: MatchingError.self) {
                try StereoMatcher.matchStreamed(left: try Dataset(path: l), right: try Dataset(path: folder + "/narrow.tif"), band: 1,
                                                disparities: 0...20, parameters: parameters) { _, _ in }
            }
        }
    }
}
