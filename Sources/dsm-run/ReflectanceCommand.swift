import ArgumentParser
import Foundation
import Photogrammetry
import Raster

/// `dsm-run reflectance IMAGE -o out.tif [--dimap DIM.XML]`: DN to top-of-atmosphere reflectance.
struct ReflectanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reflectance",
        abstract: "Top-of-atmosphere reflectance x 10,000 (UInt16 COG) of a Pléiades / SPOT 6-7 image from its metadata.",
        discussion: """
            rho = pi * L * d^2 / (E_sun * cos(zenith)), L = DN / GAIN + BIAS (the provider's convention), d the \
            Earth-Sun distance on the acquisition day, zenith = 90° - sun elevation. Reads DIMAP v2 (DIM_*.XML), \
            Pléiades DIMAP v1.4 (PHRDIMAP_*.XML) or an OSSIM .geom with support_data fields; without --dimap, looks \
            for DIM_*.XML / PHRDIMAP_*.XML in the image's folder, then <image>.geom. Input nodata pixels stay 0.
            """
    )

    @Argument(help: "Image in DN (GDAL raster, one band per metadata band, in the image's band order).")
    var image: String

    @Option(name: .shortAndLong, help: "Output reflectance (UInt16 x 10,000 COG); written only when complete.")
    var output: String

    @Option(name: [.customLong("dimap"), .customLong("metadata")], help: "Metadata file (DIM_*.XML, PHRDIMAP_*.XML or .geom).")
    var dimap: String?

    @Option(help: "Solar irradiance per band (W/m²/µm, comma-separated, image band order), replacing or supplying the file's.",
            transform: ArgumentValues.positiveNumbers)
    var solarIrradiance: [Double]?

    func validate() throws {
        var files = RunFiles()
        files.input("IMAGE", image)
        files.input("--dimap", dimap)
        files.output("--output", output)
        try files.check()
    }

    func run() throws {
        let file = try MissingMetadata.naming([image: "--dimap"]) { try dimap ?? RadiometricMetadata.find(forImage: image) }
        let metadata = try loadMetadata(file)
        let summary = try writeReflectance(image: image, metadata: metadata, output: output)
        print("reflectance \(summary.width)x\(summary.height), \(summary.bands.count) band(s) from \(file)")
        print(String(format: "date %@ (day %d), Earth-Sun distance %.6f AU, sun elevation %.3f°",
                     metadata.acquisitionDate, metadata.dayOfYear, summary.earthSunDistance, summary.sunElevation))
        for (band, perDN) in zip(summary.bands, summary.reflectancePerDN) {
            print(String(format: "  %@: gain %.4g, bias %.4g, E_sun %.1f W/m²/µm, reflectance per DN %.6g",
                         band.id, band.gain, band.bias, band.solarIrradiance, perDN))
        }
        print("wrote \(output)")
    }

    /// The file's metadata, with --solar-irradiance applied (it may stand in for a missing field).
    private func loadMetadata(_ file: String) throws -> RadiometricMetadata {
        try RadiometricMetadata.load(contentsOf: file, solarIrradiance: solarIrradiance)
    }
}
