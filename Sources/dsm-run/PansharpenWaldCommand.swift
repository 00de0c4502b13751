import ArgumentParser
import Foundation
import Photogrammetry
import Raster

/// `dsm-run pansharpen-wald PAN MS -o DIR`: Wald's-protocol quality of the fusion methods (hidden;
/// used by Benchmarks/pansharpen-bench.sh, which also scores OTB's output with --score).
struct PansharpenWaldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pansharpen-wald",
        abstract: "Wald's protocol: degrade PAN and MS by the ratio, fuse, score against the original MS (ERGAS, SAM, Q4).",
        discussion: """
            Writes DIR/pan_degraded.tif and DIR/ms_degraded.tif (Float32, with a made-up UTM georeferencing that \
            places them as the Pléiades grids, for tools that superimpose by map coordinates), DIR/reference.tif \
            (the truth on the degraded PAN grid) and DIR/fused_<method>.tif, then prints one line per method: \
            name, ERGAS, SAM (degrees), Q4, mean per-band Q, fusion seconds. --score FILE adds a line for a fused \
            image made elsewhere from the degraded inputs (degraded PAN size, MS bands).
            """,
        shouldDisplay: false
    )

    @Argument(help: "Panchromatic image.")
    var pan: String

    @Argument(help: "Multispectral image of the same acquisition.")
    var ms: String

    @Option(name: .shortAndLong, help: "Output folder (created).")
    var output: String

    @Option(help: "RPC model of the PAN (full scene).")
    var panRpc: String?

    @Option(help: "RPC model of the MS (full scene).")
    var msRpc: String?

    @Option(help: "Terrain height (WGS84 ellipsoid, metres) for the RPC relation (default: the PAN model's height offset).")
    var height: Double?

    @Option(help: "Relate the images by this ratio and their crop offsets instead of the RPCs.")
    var ratio: Int?

    @Flag(help: "Register the MS on the PAN (correlation) before degrading, as dsm-run pansharpen --register.")
    var register = false

    @Option(help: "Score a fused image made from DIR's degraded inputs (repeatable); NAME=FILE names the line.")
    var score: [String] = []

    func validate() throws {
        try NumberChecks.height(height)
        try NumberChecks.check(ratio, "--ratio", in: 2...64)
        var files = RunFiles()
        files.input("PAN", pan)
        files.input("MS", ms)
        files.input("--pan-rpc", panRpc)
        files.input("--ms-rpc", msRpc)
        for item in score { files.input("--score", item.split(separator: "=", maxSplits: 1).map(String.init).last) }
        files.output("--output", output, kind: .folder)
        try files.check()
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let panData = try Dataset(path: pan), msData = try Dataset(path: ms)
        var geometry: PanMSGeometry
        if let ratio {
            let po = RPCModel.cropOffset(ofImage: pan) ?? (0, 0), mo = RPCModel.cropOffset(ofImage: ms) ?? (0, 0)
            geometry = .knownRatio(ratio, panOffset: (po.column, po.row), msOffset: (mo.column, mo.row))
        } else {
            geometry = try .fromRPC(pan: try RPCModel.load(image: pan, model: panRpc), ms: try RPCModel.load(image: ms, model: msRpc),
                                    panWidth: panData.width, panHeight: panData.height, height: height)
        }
        let r = ratio ?? Int((1 / geometry.scale.x).rounded())
        let panImage = try panData.readAll(Float.self), msImage = try msData.read(Float.self, window: msData.bounds)
        if register {
            let registration = try geometry.registered(pan: panImage, ms: msImage, ratio: r)
            geometry = registration.geometry
            print(String(format: "# registration: MS shifted by (%+.3f, %+.3f) px", registration.shift.x, registration.shift.y))
        }
        let m = geometry.msFromPan
        print(String(format: "# MS = [%.6f %.6f %.4f; %.6f %.6f %.4f] · PAN", m.a, m.b, m.c, m.d, m.e, m.f))
        let wald = try WaldExperiment(pan: panImage, ms: msImage, geometry: geometry, ratio: r)
        // Made-up north-up georeferencing: degraded PAN pixel (i, j) centre at (X0 + i + 0.5, Y0 - j - 0.5).
        let x0 = 500_000.0, y0 = 4_900_000.0
        let srs = try SpatialReference(epsg: 32631)
        guard let inverse = wald.geometry.msFromPan.inverse else { throw ValidationError("degenerate PAN/MS relation") }
        let msGT = GeoTransform(x0 + 0.5 + inverse.c - 0.5 * (inverse.a + inverse.b), inverse.a, inverse.b,
                                y0 - 0.5 - inverse.f + 0.5 * (inverse.d + inverse.e), -inverse.d, -inverse.e)
        try writeRaster(wald.pan, to: output + "/pan_degraded.tif", options: .geoTIFF,
                        geoTransform: GeoTransform(x0, 1, 0, y0, 0, -1), spatialReference: srs)
        try writeRaster(wald.ms, to: output + "/ms_degraded.tif", options: .geoTIFF, geoTransform: msGT, spatialReference: srs)
        try writeRaster(wald.reference, to: output + "/reference.tif", options: .geoTIFF,
                        geoTransform: GeoTransform(x0, 1, 0, y0, 0, -1), spatialReference: srs)
        print("# Wald protocol: PAN \(panData.width)x\(panData.height) -> \(wald.pan.width)x\(wald.pan.height), "
              + "MS \(msData.width)x\(msData.height) -> \(wald.ms.width)x\(wald.ms.height), ratio \(r), scored on \(wald.region)")
        print("# method ERGAS SAM_deg Q4 meanQ seconds")
        func line(_ name: String, _ quality: FusionQuality, _ seconds: Double) {
            print(String(format: "%@ %.4f %.4f %.4f %.4f %.3f", name, quality.ergas, quality.sam, quality.q4, quality.meanQ, seconds))
        }
        line("upsampled", try wald.score(wald.upsampledOnly()), 0)
        for method in PansharpenMethod.allCases {
            let start = Date()
            let fused = try wald.fuse(method)
            let seconds = Date().timeIntervalSince(start)
            try writeRaster(fused, to: output + "/fused_\(method.rawValue).tif", options: .geoTIFF,
                            geoTransform: GeoTransform(x0, 1, 0, y0, 0, -1), spatialReference: srs)
            line(method.rawValue, try wald.score(fused), seconds)
        }
        for item in score {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let (name, file) = parts.count == 2 ? (parts[0], parts[1]) : (URL(fileURLWithPath: item).lastPathComponent, item)
            let data = try Dataset(path: file)
            line(name, try wald.score(try data.read(Float.self, window: data.bounds)), 0)
        }
    }
}
