import ArgumentParser
import Photogrammetry

extension DSMCommand {
    /// The files and numbers of the command line, checked before any work (`RunFiles`,
    /// `NumberChecks`).
    func checkEdges() throws {
        var files = RunFiles()
        files.input("IMG1", image1)
        for (k, path) in secondaries.enumerated() { files.input("IMG\(k + 2)", path) }
        for k in secondaries.indices { files.distinct("IMG\(k + 2)", from: "IMG1") }
        files.input("--rpc1", rpc1)
        files.input("--rpc2", rpc2)
        files.input("--dem", heights.dem)
        files.input("--geoid", heights.geoid)
        files.output("--output", output)
        files.output("--points", points)
        files.output("--confidence", confidence)
        files.output("--ortho", ortho)
        files.output("--keep-tiles", keepTiles, kind: .folder)
        try files.check()
        try NumberChecks.check(resolution, "--resolution", in: 0.01...DSMConfiguration.maxResolution, unit: "metres")
                try NumberChecks.check(heightMargin, "--height-margin", in: 1...10_000, unit: "metres")
        try NumberChecks.check(threads, "--threads", in: NumberChecks.threads)
        try NumberChecks.check(maxHoleArea, "--max-hole-area", in: 0...1_000_000, unit: "cells")
        try NumberChecks.check(maxResidual, "--max-residual", in: 0.01...1_000, unit: "pixels")
        try NumberChecks.check(rowSearch, "--row-search", in: 1...1_000, unit: "rows")
    }
}
