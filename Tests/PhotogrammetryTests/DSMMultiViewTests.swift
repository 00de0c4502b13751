import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("DSM pipeline: Marseille tri-stereo against s2p", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct DSMMultiViewTests {
    static let triplet = "s2p_marseille_triplet/input_triplet/"
    /// The centre 300x300 of s2p's ROI (x 150, y 150, 700x700) in the reference img_02.
    static let subROI = Window(x: 350, y: 350, width: 300, height: 300)

    @Test("img_02 + img_01 + img_03 fused: the DSM agrees with s2p's triplet DSM; both pairs give points")
    func triplet() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        // s2p's config: reference img_02, then img_01 and img_03. Terrain 81-275 m (ellipsoid).
        var c = DSMConfiguration(reference: try SampleData.path(Self.triplet + "img_02.tif"),
                                 secondary: try SampleData.path(Self.triplet + "img_01.tif"),
                                 heights: .range(try .given(180, margin: 120)), output: folder + "/dsm.tif")
        c.additionalSecondaries = [DSMImageInput(path: try SampleData.path(Self.triplet + "img_03.tif"))]
        c.roi = Self.subROI
        c.threads = 2
        c.rowOffsetStep = 24
        let summary = try DSMPipeline.run(configuration: c)
        #expect(summary.pairs == 2 && summary.tiles == 2)
        #expect(summary.pointsPerPair.count == 2 && summary.pointsPerPair.reduce(0, +) == summary.points)
        // Measured (release): 88 330 and 88 877 points of the 90 000 pixels; bar 85 %.
        #expect(summary.pointsPerPair.allSatisfy { Double($0) > 0.85 * Double(Self.subROI.pixelCount) }, "\(summary.pointsPerPair)")

        let reference = try StereoImage.load(c.reference)
        let comparison = try DSMComparison.compare(
            dsm: c.output, reference: try SampleData.path("s2p_marseille_triplet/expected_output/triplet/dsm.tif"),
            region: (reference.model, Self.subROI))
        // Measured (release, this sub-ROI, row-offset step 12): fused median -0.028 m, NMAD 0.600 m,
        // valid 99.8 %; each pair alone is biased by its pointing error: img_01 median -2.43 m
        // (NMAD 0.71), img_03 +2.39 m (NMAD 0.73). Bars: |median| <= 0.3 m (the pair bar;
        // well under either pair's 2.4 m bias), NMAD <= 0.8 m (0.6 + 0.2), valid >= 95 %.
        #expect(abs(comparison.median) <= 0.3, "\(comparison)")
        #expect(comparison.nmad <= 0.8, "\(comparison)")
        #expect(comparison.validShare >= 0.95, "\(comparison)")
    }

    @Test("dsm-run dsm IMG1 IMG2 IMG3 with --points, --confidence, --keep-tiles, --memory: all written, pairs reported")
    func command() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let images = try ["img_02.tif", "img_01.tif", "img_03.tif"].map { try SampleData.path(Self.triplet + $0) }
        let r = try DSMRunProcess.run(["dsm"] + images + [
            "-o", folder + "/dsm.tif", "--roi", "500,500,48,48", "--tile-size", "48", "--height", "180", "--height-margin", "120",
            "--threads", "2", "--points", folder + "/cloud.las", "--confidence", folder + "/conf.tif",
            "--keep-tiles", folder + "/tiles", "--memory", "800M",
        ])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("tiles 2/2 (100%)"), "\(r.err)")
        #expect(r.out.contains("2 pairs fused") && r.out.contains("of 800M") && r.out.contains("(LAS 1.4)"), "\(r.out)")
        for name in ["dsm.tif", "cloud.las", "conf.tif"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + name), "\(name)")
        }
        let tiles = try FileManager.default.contentsOfDirectory(atPath: folder + "/tiles").filter { $0.hasSuffix(".tile") }
        #expect(Set(tiles) == ["p0_x500_y500_w48_h48.tile", "p1_x500_y500_w48_h48.tile"])
    }

    @Test("A run cancelled before its first tile throws .cancelled and writes nothing")
    func cancelled() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let c = try DSMPipelineData.configuration(output: folder + "/dsm.tif", roi: Window(x: 500, y: 500, width: 60, height: 60))
        #expect(throws: DSMPipelineError.cancelled(tilesDone: 0, tilesTotal: 1)) {
            try DSMPipeline.run(configuration: c, isCancelled: { true })
        }
        #expect(!FileManager.default.fileExists(atPath: c.output))
    }
}
