import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// Helpers of the rectification tests: s2p's unit reference files and the Réunion pair.
enum RectificationData {
    static let units = "s2p_units/expected_output/units/"

    /// A whitespace-separated matrix file (numpy `savetxt`), row after row.
    static func matrix(_ name: String) throws -> [[Double]] {
        let text = try String(contentsOfFile: try SampleData.path(units + name), encoding: .utf8)
        return text.split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }.filter { !$0.isEmpty }
    }

    static func correspondences(_ name: String) throws -> [PointCorrespondence] {
        try matrix(name).map { PointCorrespondence(x1: $0[0], y1: $0[1], x2: $0[2], y2: $0[3]) }
    }

    static func reunion() throws -> (StereoImage, StereoImage) {
        (try StereoImage.load(try SampleData.path("s2p_reunion_pair/input_pair/img_01.tif")),
         try StereoImage.load(try SampleData.path("s2p_reunion_pair/input_pair/img_02.tif")))
    }

    /// The s2p reference DSM's height range over the Réunion ROI (ellipsoidal metres).
    static let reunionHeights = 2270.0...2376.0
    /// The first s2p tile of the configured ROI (x 150, y 150, tile size 300).
    static let reunionTile = Window(x: 150, y: 150, width: 300, height: 300)
}
