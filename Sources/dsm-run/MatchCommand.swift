import ArgumentParser
import Foundation
import Photogrammetry
import Raster

/// `dsm-run match LEFT RIGHT --disparity MIN:MAX -o disparity.tif`: dense matching of a
/// rectified pair (census + semi-global matching), Float32 GeoTIFF output with NaN for invalid.
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Dense stereo matching of a rectified pair (census + SGM); writes a Float32 disparity GeoTIFF, NaN where invalid.",
        discussion: "Convention: the left pixel (x, y) matches the right pixel (x - d, y). Inputs: any raster GDAL reads (GeoTIFF, PNG, ...), same size."
    )

    @Argument(help: "Left (reference) image.")
    var left: String

    @Argument(help: "Right image, rectified with the left one (same rows).")
    var right: String

    @Option(name: .customLong("disparity"), help: ArgumentHelp("Disparity range MIN:MAX searched (any sign), e.g. -32:32.", valueName: "min:max"),
            transform: ArgumentValues.disparities)
    var disparity: ClosedRange<Int>

    @Option(name: .shortAndLong, help: "Output disparity GeoTIFF (Float32, NaN = invalid).")
    var output: String

    @Option(help: "Also write the confidence map (Float32 in [0, 1], from the cost-curve ambiguity) here.")
    var confidence: String?

    @OptionGroup var sgm: SGMOptions

    @Option(help: "Adapt P2 to the intensity gradient with this scale (0..255 intensities); off by default.")
    var p2GradientScale: Float?

    @Option(help: "Weight of the second cost, the absolute difference of horizontal gradients (0..255 intensity scale); 0 = off (default).")
    var gradientWeight: Float = 0

    @Option(help: "Cap of the gradient cost term, in census bits (default 16).")
    var gradientCap: Int = 16

    @Option(help: "Sub-pixel refinement.")
    var subpixel: SubpixelMethod = .windowZSSD

    @Option(help: "Left-right check tolerance in pixels; negative turns the check off (default 1).")
    var lrTolerance: Int = 1

    @Option(help: "Uniqueness ratio in percent, 0 = off (default 0).")
    var uniqueness: Int = 0

    @Option(help: "Remove connected regions of at most this many pixels, 0 = off (default 100).")
    var speckleSize: Int = 100

    @Option(help: "Disparity difference within a speckle region, pixels (default 2).")
    var speckleRange: Float = 2

    @Flag(help: "Skip the final 3x3 median filter.")
    var noMedian: Bool = false

    @Option(help: "Nodata value of the inputs (default: the file's own nodata, if any; NaN always is).")
    var nodata: Float?

    @Option(help: "Band to match, 1-based (default 1).")
    var band: Int = 1

    @OptionGroup var memory: MemoryOptions<MatchMemory>

    func validate() throws {
        try NumberChecks.check(p2GradientScale, "--p2-gradient-scale", in: 0.001...255)
        try NumberChecks.check(gradientWeight, "--gradient-weight", in: 0...15.9)
        try NumberChecks.check(speckleRange, "--speckle-range", in: 0...10_000, unit: "pixels")
        try NumberChecks.check(speckleSize, "--speckle-size", in: 0...100_000_000, unit: "pixels")
        try NumberChecks.check(band, "--band", in: 1...100_000)
        if let nodata, nodata.isInfinite { throw ValidationError("--nodata must be a finite number or nan, got \(nodata)") }
        do { try parameters().validate() } catch { throw ValidationError("\(error)") }
        var files = RunFiles()
        files.input("LEFT", left)
        files.input("RIGHT", right)
        files.output("--output", output)
        files.output("--confidence", confidence)
        try files.check()
        try BandChecks.check([band], "--band", inputs: [("LEFT", left), ("RIGHT", right)])
    }

    func parameters() -> StereoMatchingParameters {
        var p = StereoMatchingParameters()
        sgm.apply(to: &p)
        p.p2GradientScale = p2GradientScale
        p.gradientWeight = gradientWeight
        p.gradientCap = gradientCap
        p.subpixel = subpixel
        p.leftRightTolerance = lrTolerance < 0 ? nil : lrTolerance
        p.uniquenessRatio = uniqueness
        p.speckleSize = speckleSize
        p.speckleRange = speckleRange
        p.medianFilter = !noMedian
        p.memoryLimit = memory.size.bytes
        return p
    }

    func run() throws {
        boundGDALBlockCache()
        let range = disparity
        let leftDataset = try Dataset(path: left), rightDataset = try Dataset(path: right)
        let noData = try nodata ?? leftDataset.nodata(band: band).map { Float($0) }
        let parameters = parameters()
        let (width, height) = (leftDataset.width, leftDataset.height)
        // Tile by tile (coarse to fine: block by block) from the files into the outputs (memory:
        // one tile or block, whatever the images' size).
        func writer(_ path: String, _ name: String) throws -> RasterWriter {
            try RasterWriter(path: path, width: width, height: height, type: .float32, options: .geoTIFF,
                             geoTransform: leftDataset.geoTransform, spatialReference: leftDataset.spatialReference,
                             nodata: .nan, bandDescriptions: [name])
        }
        let disparityWriter = try writer(output, "disparity")
        let confidenceWriter = try confidence.map { try writer($0, "confidence") }
        var valid = 0, tiles = 0
        let unit = parameters.search == .pyramid ? "block" : "tile"
        try StereoMatcher.matchStreamed(left: leftDataset, right: rightDataset, band: band, disparities: range,
                                        parameters: parameters, nodata: noData) { core, tile in
            try disparityWriter.write(tile.disparity, x: core.x, y: core.y)
            try confidenceWriter?.write(tile.confidence, x: core.x, y: core.y)
            valid += tile.disparity.storage.count { !$0.isNaN }
            tiles += 1
            Console.error("matched \(unit) \(tiles): \(core.width)x\(core.height) at \(core.x),\(core.y)\n")
        }
        try disparityWriter.commit()
        try confidenceWriter?.commit()
        print("wrote \(output): \(width)x\(height), disparities \(range.lowerBound):\(range.upperBound), "
              + "\(valid) valid pixels (\(100 * valid / max(1, width * height)) %)")
    }
}
