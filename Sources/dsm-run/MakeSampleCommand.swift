import ArgumentParser
import Foundation
import Photogrammetry

/// `dsm-run make-sample PATH`: renders the bundled synthetic samples (testdata/sample.tif, and
/// beside it the synthetic stereo pair stereo_left.tif / stereo_right.tif with its ground truth
/// stereo_truth.tif).
struct MakeSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-sample",
        abstract: "Write the synthetic samples that testdata/ holds (sample.tif, and the stereo pair with its truth beside it).",
        shouldDisplay: false
    )

    @Argument(help: "Output GeoTIFF path of the single-image sample; the stereo files go into its folder.")
    var path: String

    @Flag(help: "Write only the single-image sample, not the stereo pair.")
    var noStereo = false

    func validate() throws {
        var files = RunFiles()
        files.output("PATH", path)
        try files.check()
    }

    func run() throws {
        try SampleScene.write(to: path)
        print("wrote \(path)")
        guard !noStereo else { return }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try SyntheticStereoScene.write(to: folder)
        for name in SyntheticStereoScene.View.allCases.map(\.fileName) + [SyntheticStereoScene.truthFileName] {
            print("wrote \(folder)/\(name)")
        }
    }
}
