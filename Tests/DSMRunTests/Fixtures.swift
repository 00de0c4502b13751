import Foundation
import Raster
import Testing

/// The small files the corpus runs on, made once per test process in a temporary folder: the
/// repository's synthetic images (testdata/) and hostile files derived from them.
///
/// - `L.tif`, `R.tif`: the synthetic stereo pair (256x256 UInt16, RPC in the tags);
///   `S.tif`: the 96x96 single-image sample (RPC); `truth.tif`: a Float32 raster without RPC;
/// - `empty.tif` (0 bytes), `text.tif` (text), `trunc.tif` (the first 3000 bytes of R.tif: its header and RPC, not its pixels),
///   `zero.tif` (L's size and RPC, all pixels 0), `dir.tif` (a folder);
/// - `cfloat.vrt`: truth.tif as a CFloat32 raster over 4 times its extent (a DEM of a type that is not supported);
/// - `bad.rpc` (an RPC text with a non-number), `empty.txt`;
/// - `cloud.ply` (three UTM 31N points), `bad.ply` (a broken header), `empty.ply`.
enum Fixtures {
    static let folder: String = {
        do { return try make() } catch { return "/nonexistent-fixtures: \(error)" }
    }()

    /// The repository's testdata folder, found from this file's path.
    static let testdata = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("testdata").path

    static let ply = """
        ply
        format ascii 1.0
        comment projection: UTM 31N
        element vertex 3
        property double x
        property double y
        property double z
        end_header
        700000.2 4900000.2 100
        700001.2 4900000.2 101
        700000.2 4900001.2 102

        """

    private static func make() throws -> String {
        let f = try makeTemporaryFolder("fixtures")
        // Removed when the test process exits (the folder lives as long as the process's tests).
        atexit { try? FileManager.default.removeItem(atPath: Fixtures.folder) }
        let fm = FileManager.default
        for (from, to) in [("stereo_left.tif", "L.tif"), ("stereo_right.tif", "R.tif"), ("sample.tif", "S.tif"),
                           ("stereo_truth.tif", "truth.tif")] {
            try fm.copyItem(atPath: testdata + "/" + from, toPath: f + "/" + to)
        }
        fm.createFile(atPath: f + "/empty.tif", contents: Data())
        try "this is not an image\n".write(toFile: f + "/text.tif", atomically: false, encoding: .utf8)
        let right = try Data(contentsOf: URL(fileURLWithPath: f + "/R.tif"))
        try right.prefix(3000).write(to: URL(fileURLWithPath: f + "/trunc.tif"))
        try fm.createDirectory(atPath: f + "/dir.tif", withIntermediateDirectories: false)
        let rpc = try Dataset(path: f + "/L.tif").metadata(domain: "RPC")
        try writeRaster(ImageBuffer<UInt16>(width: 256, height: 256, bands: 1), to: f + "/zero.tif", options: .geoTIFF,
                        metadata: ["RPC": rpc])
        try "LINE_OFF: abc\nSAMP_OFF: 1\n".write(toFile: f + "/bad.rpc", atomically: false, encoding: .utf8)
        fm.createFile(atPath: f + "/empty.txt", contents: Data())
        try ply.write(toFile: f + "/cloud.ply", atomically: false, encoding: .utf8)
        try "ply\nformat nonsense 9\nend_header\n".write(toFile: f + "/bad.ply", atomically: false, encoding: .utf8)
        fm.createFile(atPath: f + "/empty.ply", contents: Data())
        // truth.tif seen as a complex raster (GDAL would read its real part without a word), its
        // cells stretched 4 times about the centre so that it covers the whole of L.tif.
        let truth = try Dataset(path: f + "/truth.tif")
        let g = truth.geoTransform!.array
        let (w, h) = (Double(truth.width), Double(truth.height))
        let transform = [g[0] - 1.5 * w * g[1], 4 * g[1], 0, g[3] - 1.5 * h * g[5], 0, 4 * g[5]].map { String($0) }.joined(separator: ", ")
        try """
            <VRTDataset rasterXSize="\(truth.width)" rasterYSize="\(truth.height)">
              <SRS>EPSG:32631</SRS>
              <GeoTransform>\(transform)</GeoTransform>
              <VRTRasterBand dataType="CFloat32" band="1">
                <SimpleSource><SourceFilename relativeToVRT="1">truth.tif</SourceFilename><SourceBand>1</SourceBand></SimpleSource>
              </VRTRasterBand>
            </VRTDataset>
            """.write(toFile: f + "/cfloat.vrt", atomically: false, encoding: .utf8)
        return f
    }

    /// Fills a case's fresh output folder: `in.tif` (a copy of S.tif, used as an input),
    /// `link.tif` (a symbolic link to it), `hard.tif` (a hard link to it), `cloud.ply`.
    static func populate(_ output: String) throws {
        let fm = FileManager.default
        try fm.copyItem(atPath: folder + "/S.tif", toPath: output + "/in.tif")
        try fm.createSymbolicLink(atPath: output + "/link.tif", withDestinationPath: output + "/in.tif")
        try fm.linkItem(atPath: output + "/in.tif", toPath: output + "/hard.tif")
        try fm.copyItem(atPath: folder + "/cloud.ply", toPath: output + "/cloud.ply")
    }
}
