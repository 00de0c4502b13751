import Foundation
import Testing
@testable import Photogrammetry
import Raster

@Suite("Orthorectification against gdalwarp and across a stereo pair", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct OrthoAccuracyTests {
    /// Ventoux PAN crop on SRTM + EGM96, bicubic, against `gdalwarp -rpc -r cubic` on the same grid
    /// with the SRTM tile made ellipsoidal. GDAL's RPC transformer maps the RPC offsets to
    /// (SAMP_OFF + 0.5, LINE_OFF + 0.5) in its corner-based pixel space, which is our 0-based
    /// pixel-centre convention + 0.5: the same point, so no half-pixel shift is expected (a
    /// 0.5 px offset would mean one side mixed the conventions). Tolerance 0.05 px (the issue).
    @Test("Ventoux crop on SRTM: sub-pixel offset to gdalwarp <= 0.05 px")
    func againstGDALWarp() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let image = try SampleData.path(OrthoData.ventoux)
        let model = try RPCModel.load(image: image, model: try SampleData.path(OrthoData.ventouxModel))
        let geoid = try Geoid(path: try SampleData.path(OrthoData.egm96))
        let ortho = try Orthorectifier(image: image, model: model, heights: .dem(path: try SampleData.path(OrthoData.srtm), geoid: geoid),
                                       resolution: 0.5)
        var options = OrthoOptions(resampling: .bicubic)
        options.outputType = .float32
        let ours = folder + "/ours.tif"
        let summary = try ortho.write(to: ours, options: options)
        #expect(summary.inverseMap.interpolatedCells > 0 && summary.inverseMap.maxCheckedError < 0.01)

        let g = ortho.grid
        let vrt = try OrthoData.vrt(image: image, model: model, width: ortho.imageWidth, height: ortho.imageHeight, bands: 1, type: "UInt16", in: folder)
        let dem = try OrthoData.ellipsoidalSRTM(in: folder)
        let theirs = folder + "/gdalwarp.tif"
        let warp = try OrthoData.run("gdalwarp", [
            "-q", "-rpc", "-to", "RPC_DEM=\(dem)", "-t_srs", "EPSG:\(g.epsg)", "-r", "cubic", "-ot", "Float32", "-dstnodata", "nan",
            "-te", "\(g.originX)", "\(g.originY - Double(g.height) * g.resolution)", "\(g.originX + Double(g.width) * g.resolution)", "\(g.originY)",
            "-tr", "\(g.resolution)", "\(g.resolution)", vrt, theirs])
        try #require(warp.status == 0, "gdalwarp failed: \(warp.err)")

        let a = try readFloat(ours), b = try readFloat(theirs)
        #expect(a.width == b.width && a.height == b.height)
        let shift = registerTranslation(a, b, border: 8)
        print("ortho vs gdalwarp: offset (\(shift.dx), \(shift.dy)) px over \(shift.pixels) pixels")
        #expect(shift.pixels > a.width * a.height / 2)
        #expect(abs(shift.dx) <= 0.05 && abs(shift.dy) <= 0.05, "offset (\(shift.dx), \(shift.dy)) px")
        // Footprints agree: pixels valid in one and not the other lie on the border only.
        var onlyOne = 0, both = 0
        for k in a.storage.indices {
            if a.storage[k].isFinite && b.storage[k].isFinite { both += 1 } else if a.storage[k].isFinite != b.storage[k].isFinite { onlyOne += 1 }
        }
        // Border pixels: about the footprint perimeter (2 (W + H) ≈ 2200 px); allow 2 px wide.
        #expect(onlyOne < 2 * 2 * (a.width + a.height), "\(onlyOne) pixels valid in one ortho only, \(both) in both")
    }

    /// Both images of s2p's Réunion pair on s2p's reference DSM (ellipsoidal, UTM 40S, 0.5 m; its
    /// NaN holes filled from their neighbours so that both tools see the same surface). The two
    /// orthos do not coincide: they are offset by about 0.68 px, the pair's relative RPC pointing
    /// error (the DSM pipeline measures a -0.8 px row offset on this pair, DSMPipelineTests), so
    /// the 0.3 px bar cannot hold for raw RPCs. What orthorectification controls is
    /// checked instead: (1) gdalwarp with the same RPCs and DSM gives the same offset between its
    /// two orthos, within 0.05 px (so the offset is in the RPCs, not in our code); (2) the offset
    /// is a translation: measured on each quadrant, it stays within 0.3 px of the global one
    /// (height, RPC or resampling errors would make it vary across the scene).
    @Test("Réunion pair on s2p's DSM: the orthos' offset is the RPC pointing error (as gdalwarp's), uniform within 0.3 px")
    func reunionPair() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let dsmPath = try SampleData.path("s2p_reunion_pair/expected_output/pair/dsm.tif")
        let dsm = try Dataset(path: dsmPath)
        let gt = try #require(dsm.geoTransform).array
        let epsg = try #require(dsm.spatialReference?.epsg)
        let filled = fillHoles(try readFloat(dsmPath))
        let filledPath = folder + "/dsm-filled.tif"
        try writeRaster(filled, to: filledPath, options: .geoTIFF, geoTransform: GeoTransform(gt), spatialReference: try SpatialReference(epsg: epsg))
        let heights = try HeightGrid(values: filled, geoTransform: GeoTransform(gt), epsg: epsg, source: filledPath)
        // The central 360x360 cells of the 721x739 DSM (a quick debug-build test; same offset as the whole).
        let grid = try OrthoGrid(epsg: epsg, originX: gt[0], originY: gt[3], resolution: gt[1], width: dsm.width, height: dsm.height)
            .subgrid(Window(x: 180, y: 190, width: 360, height: 360))
        var ours: [ImageBuffer<Float>] = [], theirs: [ImageBuffer<Float>] = []
        for name in ["img_01.tif", "img_02.tif"] {
            let image = try SampleData.path("s2p_reunion_pair/input_pair/" + name)
            let ortho = try Orthorectifier(image: image, heights: .grid(heights), grid: grid)
            let (result, stats) = try ortho.orthorectify(options: OrthoOptions(resampling: .bicubic))
            #expect(stats.interpolatedCells < stats.cells, "a DSM at the output resolution needs exact projections")
            ours.append(result)
            let out = folder + "/warp-" + name
            let warp = try OrthoData.run("gdalwarp", [
                "-q", "-rpc", "-to", "RPC_DEM=\(filledPath)", "-t_srs", "EPSG:\(epsg)", "-r", "cubic", "-ot", "Float32", "-dstnodata", "nan",
                "-te", "\(grid.originX)", "\(grid.originY - Double(grid.height) * grid.resolution)",
                "\(grid.originX + Double(grid.width) * grid.resolution)", "\(grid.originY)", "-tr", "\(grid.resolution)", "\(grid.resolution)", image, out])
            try #require(warp.status == 0, "gdalwarp failed: \(warp.err)")
            theirs.append(try readFloat(out))
        }
        let shift = registerTranslation(ours[0], ours[1], border: 8)
        let reference = registerTranslation(theirs[0], theirs[1], border: 8)
        print("Réunion img_01 vs img_02 orthos: offset (\(shift.dx), \(shift.dy)) px over \(shift.pixels) pixels; gdalwarp's (\(reference.dx), \(reference.dy))")
        #expect(shift.pixels > grid.width * grid.height / 2)
        #expect(abs(shift.dx - reference.dx) <= 0.05 && abs(shift.dy - reference.dy) <= 0.05,
                "ours (\(shift.dx), \(shift.dy)) px, gdalwarp's (\(reference.dx), \(reference.dy)) px")
        #expect((shift.dx * shift.dx + shift.dy * shift.dy).squareRoot() < 1, "more than the pair's known pointing error")
        let (w, h) = (grid.width / 2, grid.height / 2)
        for quadrant in [Window(x: 0, y: 0, width: w, height: h), Window(x: w, y: 0, width: w, height: h),
                         Window(x: 0, y: h, width: w, height: h), Window(x: w, y: h, width: w, height: h)] {
            let q = registerTranslation(ours[0].cropped(to: quadrant), ours[1].cropped(to: quadrant), border: 8)
            #expect(hypot(q.dx - shift.dx, q.dy - shift.dy) <= 0.3, "quadrant \(quadrant): (\(q.dx), \(q.dy)) px vs (\(shift.dx), \(shift.dy))")
        }
    }
}
