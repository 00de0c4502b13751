import ArgumentParser
import Foundation
import Photogrammetry

/// `dsm-run synthetic-scene render|score` (hidden): the large synthetic pair the scaling
/// benchmark runs on (`Benchmarks/dsm-scale.sh`), and the score of a DSM against its analytic
/// truth, window by window.
struct SyntheticSceneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic-scene",
        abstract: "Render an N x N synthetic stereo pair with an analytic truth, or score a DSM against it.",
        shouldDisplay: false,
        subcommands: [Render.self, Score.self]
    )

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write left.tif and right.tif (UInt16 GeoTIFFs with RPCs) of an N x N scene into a folder.")

        @Option(help: "Image side in pixels (64...200000).")
        var size: Int

        @Argument(help: "Output folder (created when missing).")
        var folder: String

        func validate() throws {
            try NumberChecks.check(size, "--size", in: 64...200_000, unit: "pixels")
            var files = RunFiles()
            files.output("FOLDER", folder, kind: .folder)
            try files.check()
        }

        func run() throws {
            boundGDALBlockCache()
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let scene = try SyntheticLargeScene(size: size)
            for view in SyntheticLargeScene.View.allCases {
                let path = folder + "/" + (view == .left ? "left.tif" : "right.tif")
                try scene.write(view, to: path)
                print("wrote \(path)")
            }
            let r = SyntheticLargeScene.heightRange
            print(String(format: "heights %.0f...%.0f m (WGS84 ellipsoid); %.0f m of ground a side", r.lowerBound, r.upperBound,
                         Double(size) * SyntheticLargeScene.gsd))
        }
    }

    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score a DSM (ellipsoidal heights) against the analytic truth of the N x N scene.")

        @Option(help: "Image side in pixels of the scene the DSM was made from.")
        var size: Int

        @Option(help: "Share of the scene's extent scored, centred (0.1...1).")
        var share: Double = 0.8

        @Argument(help: "The DSM to score.")
        var dsm: String

        func validate() throws {
            try NumberChecks.check(size, "--size", in: 64...200_000, unit: "pixels")
            try NumberChecks.check(share, "--share", in: 0.1...1)
            var files = RunFiles()
            files.input("DSM", dsm)
            try files.check()
        }

        func run() throws {
            boundGDALBlockCache()
            let s = try SyntheticLargeScene(size: size).score(dsm: dsm, share: share)
            print(String(format: "cells %d valid %.4f median %.3f nmad %.3f above1m %.4f", s.cells, s.validShare, s.median, s.nmad, s.above1m))
        }
    }
}
