import ArgumentParser
import Photogrammetry

/// `dsm-run make-sample PATH`: renders the bundled synthetic sample (testdata/sample.tif).
struct MakeSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-sample",
        abstract: "Write the synthetic sample scene that testdata/sample.tif holds.",
        shouldDisplay: false
    )

    @Argument(help: "Output GeoTIFF path.")
    var path: String

    func run() throws {
        try SampleScene.write(to: path)
        print("wrote \(path)")
    }
}
