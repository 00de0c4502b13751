import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// The chain the coming `dsm-run dsm` will run on one tile: rectify (with the row-offset
/// correction), match with `StereoMatcher` (x_right = x_left - d), map each disparity back to
/// both sensors and triangulate. It checks the conventions end to end: a sign error in the
/// disparity or a swapped map would put the heights far outside the terrain's range.
@Suite("Rectification: rectify, match, triangulate", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct RectificationEndToEndTests {
    @Test("Réunion tile: triangulated heights of the matched disparities fall inside the s2p DSM's range")
    func heights() throws {
        let (a, b) = try RectificationData.reunion()
        let tile = Window(x: 300, y: 300, width: 150, height: 150)
        let first = try TileRectification.compute(reference: a, secondary: b, tile: tile, heights: RectificationData.reunionHeights)
        let raw = try first.resample()
        let offset = try #require(estimateRowOffset(left: raw.left, right: raw.right, disparities: first.disparities, step: 24))
        let r = first.correctingRowOffset(offset.offset)
        let pair = try r.resample()
        let result = try StereoMatcher.match(left: pair.left, right: pair.right, disparities: r.disparities)
        var heights: [Double] = [], residuals: [Double] = []
        for j in stride(from: r.verticalMargin, to: r.height - r.verticalMargin, by: 9) {
            for i in stride(from: r.horizontalMargin, to: r.width - r.horizontalMargin, by: 9) {
                let d = result.disparity[i, j]
                guard !d.isNaN else { continue }
                let s = r.sensorPoints(x: Double(i), y: Double(j), disparity: Double(d))
                guard tile.contains(x: Int(s.reference.x.rounded()), y: Int(s.reference.y.rounded())) else { continue }
                let g = try r.triangulate(x: Double(i), y: Double(j), disparity: Double(d))
                heights.append(g.height)
                residuals.append(g.residuals.max() ?? .infinity)
            }
        }
        // Measured: 265 samples, 261 inside 2270–2376 m (p1 2360.3, median 2369.8, p99 2376.2).
        #expect(heights.count > 200, "\(heights.count) valid samples")
        let inside = heights.filter { RectificationData.reunionHeights.contains($0) }.count
        #expect(Double(inside) >= 0.95 * Double(heights.count), "\(inside) of \(heights.count) inside the range")
        // The rays miss each other by the pointing error the row correction moved into the
        // rectified frame (0.8 px shared by two views: 0.40 px each, measured median 0.402 px).
        residuals.sort()
        #expect(residuals[residuals.count / 2] < 0.6, "median residual \(residuals[residuals.count / 2]) px")
    }
}
