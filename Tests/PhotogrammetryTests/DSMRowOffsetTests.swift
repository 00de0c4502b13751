import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("DSM pipeline: the pair's row offset for tiles that cannot measure theirs", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct DSMRowOffsetTests {
    @Test("Two 50-pixel tiles, one too poor in texture to measure its offset: it gets the other's, none goes uncorrected")
    func fallback() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        var c = try DSMPipelineData.configuration(output: folder + "/dsm.tif", roi: Window(x: 400, y: 350, width: 100, height: 50))
        c.tileSize = 50
        c.rowOffsetStep = 12   // measured (release, step 12): the left tile measures -0.8 px, the right one fails
        c.keepTiles = folder + "/tiles"
        // The tiles' own row offsets are what this tests: without the sparse analysis's pointing
        // correction, which would leave them a residual near zero.
        c.sparse.enabled = false
        let summary = try DSMPipeline.run(configuration: c)
        #expect(summary.tiles == 2)
        #expect(summary.tilesWithPairRowOffset == 1 && summary.tilesWithoutRowCorrection == 0, "\(summary.tilesWithPairRowOffset)")
        // The pair's pointing error (RowOffset.swift: -0.79 px median over the ROI), ± 0.3 px.
        let offset = try #require(summary.medianRowOffset)
        #expect(abs(offset + 0.8) < 0.3, "\(offset)")
        // The borrowed offset survives --keep-tiles.
        let again = try DSMPipeline.run(configuration: c)
        #expect(again.reusedTiles == 2 && again.tilesWithPairRowOffset == 1)
    }
}
