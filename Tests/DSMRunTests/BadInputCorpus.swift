import Foundation
import Testing

/// One hostile (or, for contrast, valid) command line and what `dsm-run` must do with it.
///
/// Arguments are one string split on spaces, with `F/` the fixtures folder (`Fixtures`), `O/`
/// the case's own output folder (holding `in.tif`, `link.tif`, `hard.tif` and `cloud.ply`
/// before the run), `D/` the sample data folder (`RELIEF_SAMPLE_DATA`; the case skips when it
/// is unset) and `''` an empty argument.
struct Case: Sendable, CustomTestStringConvertible {
    var arguments: String
    /// Expected exit status: 0 accepted, 1 a refused input found by the work, 2 `rpc --strict`,
    /// 64 a refused command line (usage error).
    var status: Int32
    /// A substring of stdout + stderr.
    var message: String
    var stdin = ""
    var stderr = DSMRun.Stderr.file
    /// Entries the run must add to the output folder (accepted cases); none for the others.
    var creates: [String] = []

    var needsData: Bool { arguments.contains("D/") }
    var testDescription: String {
        "dsm-run \(arguments)" + (stdin.isEmpty ? "" : " <<< \(stdin.debugDescription)")
            + (stderr == .file ? "" : stderr == .closed ? " 2>&-" : " 2>/dev/full")
    }
}

private func c(_ arguments: String, _ status: Int32, _ message: String, stdin: String = "",
               stderr: DSMRun.Stderr = .file, creates: [String] = []) -> Case {
    Case(arguments: arguments, status: status, message: message, stdin: stdin, stderr: stderr, creates: creates)
}

/// The pair's common options for a short `dsm` run.
private let pair = "F/L.tif F/R.tif --height 340 --height-margin 40"

/// The corpus, one row per case.
let badInputCorpus: [Case] = [
    // The command line itself.
    c("nonsense", 64, "Unexpected argument 'nonsense'"),
    c("info", 64, "Missing expected argument"),

    // info: missing, empty, wrong-type, truncated files.
    c("info F/missing.tif", 1, "file not found: F/missing.tif"),
    c("info F/empty.tif", 1, "empty.tif"),
    c("info F/text.tif", 1, "not recognized"),
    c("info F/trunc.tif", 0, "Size: 256 x 256"),
    c("info F/dir.tif", 1, "dir.tif"),
    c("info F/L.tif", 0, "RPC: RPC00B"),
    c("info F/truth.tif", 0, "RPC: none"),

    // rpc project / localize: numbers from stdin, models.
    c("rpc project F/L.tif", 0, "127.5 127.5", stdin: "5.163 44.229 335\n"),
    c("rpc project F/L.tif", 64, "numbers must be finite", stdin: "nan nan nan\n"),
    c("rpc project F/L.tif", 64, "numbers must be finite", stdin: "5.163 44.229 inf\n"),
    c("rpc project F/L.tif", 64, "expected 3 numbers", stdin: "5.163 44.229\n"),
    c("rpc project F/L.tif", 64, "expected 3 numbers", stdin: "a b c\n"),
    c("rpc project F/L.tif", 0, "outside the model's validity domain", stdin: "0 0 0\n"),
    c("rpc project F/L.tif --strict", 2, "outside the model's validity domain", stdin: "0 0 0\n"),
    c("rpc project F/L.tif --strict", 0, "127.5 127.5", stdin: "5.163 44.229 335\n"),
    c("rpc localize F/L.tif", 0, "5.163", stdin: "127.5 127.5 335\n"),
    c("rpc localize F/L.tif", 64, "numbers must be finite", stdin: "nan 0 335\n"),
    c("rpc localize F/L.tif --strict", 2, "outside the model's validity domain", stdin: "1e7 1e7 335\n"),
    c("rpc localize F/L.tif --strict", 2, "outside the model's validity domain", stdin: "10 10 1e6\n"),
    c("rpc project F/truth.tif", 1, "RPC", stdin: "5.163 44.229 335\n"),
    c("rpc project F/missing.tif", 64, "MODEL: cannot open", stdin: "5.163 44.229 335\n"),
    c("rpc project F/L.tif --rpc F/missing.rpc", 64, "--rpc: cannot open", stdin: "5.163 44.229 335\n"),
    c("rpc project F/truth.tif --rpc F/bad.rpc", 1, "bad.rpc", stdin: "5.163 44.229 335\n"),
    c("rpc project F/truth.tif --rpc F/empty.txt", 1, "empty.txt", stdin: "5.163 44.229 335\n"),

    // ortho: numbers, paths, inputs.
    c("ortho F/S.tif -o O/o.tif --height nan", 64, "--height must be a number in [-1000, 10000]"),
    c("ortho F/S.tif -o O/o.tif --height inf", 64, "--height must be a number"),
    c("ortho F/S.tif -o O/o.tif --height 1e9", 64, "--height must be a number"),
    c("ortho F/S.tif -o O/o.tif --height=-1e9", 64, "--height must be a number"),
    c("ortho F/S.tif -o O/o.tif --height 500 --resolution 0", 64, "--resolution must be a number in [0.01, 10000]"),
    c("ortho F/S.tif -o O/o.tif --height 500 --resolution 1e9", 64, "--resolution must be a number"),
    c("ortho F/S.tif -o O/o.tif --height 500 --resolution nan", 64, "--resolution must be a number"),
    c("ortho F/S.tif -o O/o.tif --height 500 --epsg 0", 64, "--epsg must be in"),
    c("ortho F/S.tif -o O/o.tif --height 500 --epsg 999998", 1, "999998"),
    c("ortho O/in.tif -o O/in.tif --height 500", 64, "--output: O/in.tif is an input of this run (IMAGE)"),
    c("ortho O/in.tif -o O/link.tif --height 500", 64, "is an input of this run (IMAGE)"),
    c("ortho O/in.tif -o O/hard.tif --height 500", 64, "is an input of this run (IMAGE)"),
    c("ortho O/in.tif -o O/../out/in.tif --height 500", 64, "is an input of this run (IMAGE)"),
    c("ortho O/link.tif -o O/in.tif --height 500", 64, "is an input of this run (IMAGE)"),
    c("ortho F/S.tif --dem O/in.tif -o O/in.tif", 64, "is an input of this run (--dem)"),
    c("ortho F/S.tif -o O/nodir/o.tif --height 500", 64, "--output: the folder O/nodir does not exist"),
    c("ortho F/S.tif -o /proc/o.tif --height 500", 64, "--output: cannot write in the folder /proc"),
    c("ortho F/S.tif -o O/ --height 500", 64, "is a folder; give a file name"),
    c("ortho F/S.tif -o '' --height 500", 64, "--output: empty path"),
    c("ortho F/S.tif -o O/o.tif", 64, "give exactly one of --dem DEM and --height H"),
    c("ortho F/S.tif -o O/o.tif --dem F/missing.tif", 64, "--dem: cannot open"),
    c("ortho F/S.tif -o O/o.tif --dem F/text.tif", 1, "text.tif"),
    c("ortho F/S.tif -o O/o.tif --dem F/empty.tif", 1, "empty.tif"),
    c("ortho F/L.tif -o O/o.tif --dem F/cfloat.vrt", 1, "pixel type CFloat32 is complex"),
    c("ortho F/S.tif -o O/o.tif --height 500 --epsg 4326 --resolution 5", 64, "--resolution must be a number in [1e-07, 1] degrees"),
    c("ortho O/in.tif -o O/o.tif --height 500 --epsg 4326", 0, "°", creates: ["o.tif"]),
    c("ortho F/S.tif -o O/o.tif --height 500 --geoid F/empty.txt", 64, "--geoid goes with --dem"),
    c("ortho F/S.tif -o O/o.tif --height 500 --resampling cubicspline", 64,
      "The value 'cubicspline' is invalid for '--resampling <resampling>'. Please provide one of 'nearest', 'bilinear', 'bicubic'"),
    c("ortho F/S.tif -o O/o.tif --height 500 --bands 0", 64, "invalid for '--bands <bands>': takes 1-based band numbers"),
    c("ortho F/S.tif -o O/o.tif --height 500 --bands 5", 64, "--bands 5 is out of range: IMAGE (F/S.tif) has 1 band"),
    c("ortho F/S.tif -o O/o.tif --height 500 --bands 1,2", 64, "--bands 2 is out of range: IMAGE (F/S.tif) has 1 band"),
    c("ortho F/S.tif -o O/o.tif --height 500 --type Int64", 64, "The value 'Int64' is invalid for '--type <type>'"),
    c("ortho F/S.tif -o O/o.tif --height 500 --tile-size 0", 64, "--tile-size must be in 16...8192"),
    c("ortho F/S.tif -o O/o.tif --height 500 --tile 0", 64, "--tile must be in 16...8192"),
    c("ortho F/S.tif -o O/o.tif --height 500 --tile 64 --tile-size 64", 64, "give --tile-size only (--tile is its former name)"),
    c("ortho F/S.tif -o O/o.tif --height 500 --threads 0", 64, "--threads must be in 1...1024"),
    c("ortho F/S.tif -o O/o.tif --height 500 --format png", 64, "The value 'png' is invalid for '--format <format>'. Please provide one of 'cog' and 'gtiff'"),
    c("ortho F/truth.tif -o O/o.tif --height 500", 1, "RPC"),
    c("ortho F/empty.tif -o O/o.tif --height 500", 1, "empty.tif"),
    c("ortho F/text.tif -o O/o.tif --height 500", 1, "text.tif"),
    c("ortho F/trunc.tif -o O/o.tif --height 500", 1, "trunc.tif"),
    c("ortho F/S.tif -o O/o.tif --height 500 --rpc F/bad.rpc", 1, "bad.rpc"),
    c("ortho O/in.tif -o O/o.tif --height 500", 0, "O/o.tif", creates: ["o.tif"]),
    c("ortho O/in.tif -o O/o.tif --height 500 --tile-size 64 --bands 1", 0, "O/o.tif", creates: ["o.tif"]),
    c("ortho O/in.tif -o O/o.tif --height 500 --tile 64", 0, "warning: --tile is now --tile-size", creates: ["o.tif"]),

    // dsm: numbers, ROI, options, paths, inputs.
    c("dsm F/L.tif -o O/d.tif --height 340", 64, "Missing expected argument '<secondaries> ...'"),
    c("dsm F/L.tif F/R.tif -o O/d.tif --height nan", 64, "--height must be a number"),
    c("dsm F/L.tif F/R.tif -o O/d.tif --height 1e9", 64, "--height must be a number"),
    c("dsm F/L.tif F/R.tif -o O/d.tif --height 340 --height-margin nan", 64, "--height-margin must be a number"),
    c("dsm F/L.tif F/R.tif -o O/d.tif --height 340 --height-margin 0", 64, "--height-margin must be a number in [1, 10000]"),
    c("dsm \(pair) -o O/d.tif --resolution 0", 64, "--resolution must be a number in [0.01, 100]"),
    c("dsm \(pair) -o O/d.tif --resolution 0.001", 64, "--resolution must be a number"),
    c("dsm \(pair) -o O/d.tif --resolution 0.01", 1, "far finer than the images' ground sample"),
    c("dsm \(pair) -o O/d.tif --max-pointing-error nan", 64, "--max-pointing-error must be in (0, 1000] pixels"),
    c("dsm \(pair) -o O/d.tif --max-pointing-error 0", 64, "--max-pointing-error must be in (0, 1000] pixels"),
    c("dsm \(pair) -o O/d.tif --max-pointing-error 1e9", 64, "--max-pointing-error must be in (0, 1000] pixels"),
    c("dsm \(pair) -o O/d.tif --max-pointing-error -5", 64, "--max-pointing-error must be in (0, 1000] pixels"),
    c("dsm F/L.tif F/R.tif -o O/d.tif --no-sparse", 64, "--no-sparse needs --height H or --dem DEM"),
    c("dsm \(pair) -o O/d.tif --dem F/truth.tif", 64, "give at most one of --height H and --dem DEM"),
    c("dsm \(pair) -o O/d.tif --resolution nan", 64, "--resolution must be a number"),
    c("dsm \(pair) -o O/d.tif --roi 1,2,3", 64, "The value '1,2,3' is invalid for '--roi <roi>': must be COL,ROW,WIDTH,HEIGHT"),
    c("dsm \(pair) -o O/d.tif --roi 0,0,0,10", 64, "invalid for '--roi <roi>': width and height must be positive"),
    c("dsm \(pair) -o O/d.tif --roi=-50,-50,100,100", 64, "invalid for '--roi <roi>': must start inside the image"),
    c("dsm \(pair) -o O/d.tif --roi -50,-50,100,100", 64, "invalid for '--roi <roi>': must start inside the image"),
    c("dsm \(pair) -o O/d.tif --roi 5000,5000,10,10", 1, "outside"),
    c("dsm \(pair) -o O/d.tif --tile-size 5", 64, "--tile-size must be in 16...5000 reference pixels"),
    c("dsm \(pair) -o O/d.tif --tile 5", 64, "--tile must be in 16...5000 reference pixels"),
    c("dsm \(pair) -o O/d.tif --threads 0", 64, "--threads must be in 1...1024"),
    c("dsm \(pair) -o O/d.tif --memory lots", 64, "The value 'lots' is invalid for '--memory <size>': a size such as 1.5G or 512M"),
    c("dsm \(pair) -o O/d.tif --memory 0.5", 64, "invalid for '--memory <size>': a size from 1M to 64T (a bare number is MiB)"),
    c("dsm \(pair) -o O/d.tif --memory 1.5GB", 64, "invalid for '--memory <size>': a size such as 1.5G"),
    c("dsm \(pair) -o O/d.tif --datum wgs", 64, "The value 'wgs' is invalid for '--datum <datum>'. Please provide one of 'ellipsoid' and 'egm96'"),
    c("dsm \(pair) -o O/d.tif --datum egm96", 64, "--datum egm96 needs --geoid"),
    c("dsm \(pair) -o O/d.tif --subpixel magic", 64, "The value 'magic' is invalid for '--subpixel <subpixel>'"),
    c("dsm \(pair) -o O/d.tif --statistic mode", 64, "The value 'mode' is invalid for '--statistic <statistic>'. Please provide one of 'median' and 'mean'"),
    c("dsm \(pair) -o O/d.tif --census 4x4", 64, "census window"),
    c("dsm \(pair) -o O/d.tif --census 5by5", 64, "The value '5by5' is invalid for '--census <census>'"),
    c("dsm \(pair) -o O/d.tif --paths 3", 64, "The value '3' is invalid for '--paths <paths>'. Please provide one of '4' and '8'"),
    c("dsm \(pair) -o O/d.tif --p1 40 --p2 10", 64, "P1 <= P2"),
    c("dsm \(pair) -o O/d.tif --max-residual 0", 64, "--max-residual must be a number"),
    c("dsm \(pair) -o O/d.tif --search deep", 64, "The value 'deep' is invalid for '--search <search>'. Please provide one of 'full' and 'pyramid'"),
    c("dsm O/in.tif F/R.tif -o O/in.tif --height 340", 64, "--output: O/in.tif is an input of this run (IMG1)"),
    c("dsm F/L.tif O/in.tif -o O/hard.tif --height 340", 64, "is an input of this run (IMG2)"),
    c("dsm \(pair) -o O/d.tif --points O/d.tif", 64, "--points: O/d.tif is another output of this run (--output)"),
    c("dsm \(pair) -o O/d.tif --ortho O/./d.tif", 64, "--ortho: O/./d.tif is another output of this run (--output)"),
    c("dsm O/in.tif F/R.tif -o O/d.tif --height 340 --confidence O/link.tif", 64, "is an input of this run (IMG1)"),
    c("dsm \(pair) -o O/d.tif --confidence O/nodir/c.tif", 64, "--confidence: the folder O/nodir does not exist"),
    c("dsm \(pair) -o /proc/d.tif", 64, "--output: cannot write in the folder /proc"),
    c("dsm \(pair) -o O/d.tif --keep-tiles O/in.tif", 64, "--keep-tiles: O/in.tif exists and is not a folder"),
    c("dsm F/L.tif F/missing.tif -o O/d.tif --height 340", 64, "IMG2: cannot open F/missing.tif"),
    c("dsm F/L.tif F/L.tif -o O/d.tif --height 340", 64, "IMG2 is the same file as IMG1"),
    c("dsm F/L.tif F/truth.tif -o O/d.tif --height 340", 1, "RPC"),
    c("dsm F/L.tif F/zero.tif -o O/d.tif --height 340", 1, "see the scene from the same direction"),
    c("dsm F/L.tif F/text.tif -o O/d.tif --height 340", 1, "text.tif"),
    c("dsm F/L.tif F/trunc.tif -o O/d.tif --height 340", 1, "trunc.tif"),
    c("dsm F/L.tif F/R.tif -o O/d.tif --dem F/text.tif", 1, "text.tif"),
    c("dsm F/L.tif F/R.tif -o O/d.tif --dem F/missing.tif", 64, "--dem: cannot open"),
    c("dsm F/L.tif F/R.tif -o O/d.tif --dem F/cfloat.vrt", 1, "pixel type CFloat32 is complex"),
    c("dsm D/s2p_reunion_pair/input_pair/img_01.tif D/s2p_marseille_triplet/input_triplet/img_01.tif -o O/d.tif --height 500",
      1, "overlap"),
    c("dsm \(pair) -o O/d.tif --resolution 1 --roi 64,64,64,64 --tile-size 64", 0, "wrote O/d.tif", creates: ["d.tif"]),
    c("dsm \(pair) -o O/d.tif --resolution 1 --roi 64,64,64,64 --tile-size 64", 0, "wrote O/d.tif", stderr: .closed, creates: ["d.tif"]),
    c("dsm \(pair) -o O/d.tif --resolution 1 --roi 64,64,64,64 --tile-size 64", 0, "wrote O/d.tif", stderr: .full, creates: ["d.tif"]),
    c("dsm \(pair) -o O/d.tif --resolution 1 --roi 64,64,64,64 --tile 64 --memory 300", 0, "of 300)", creates: ["d.tif"]),

    // match.
    c("match F/L.tif F/R.tif --disparity 5:1 -o O/m.tif", 64, "--disparity"),
    c("match F/L.tif F/R.tif --disparity abc -o O/m.tif", 64, "--disparity"),
    c("match O/in.tif F/S.tif --disparity 0:4 -o O/in.tif", 64, "--output: O/in.tif is an input of this run (LEFT)"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --confidence O/m.tif", 64, "--confidence: O/m.tif is another output"),
    c("match F/L.tif F/S.tif --disparity 0:4 -o O/m.tif", 1, "size"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --band 0", 64, "--band must be in"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --band 3", 64, "--band 3 is out of range: LEFT (F/L.tif) has 1 band"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --memory 0", 64, "The value '0' is invalid for '--memory <size>'"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --memory lots", 64, "invalid for '--memory <size>': a size such as 1.5G or 512M"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --memory 1e9", 64, "invalid for '--memory <size>': a size from 1M to 64T"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --subpixel cubic", 64, "The value 'cubic' is invalid for '--subpixel <subpixel>'"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --memory 1.5G", 0, "wrote O/m.tif", creates: ["m.tif"]),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --memory 64", 0, "wrote O/m.tif", creates: ["m.tif"]),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --speckle-range nan", 64, "--speckle-range must be a number"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --gradient-weight inf", 64, "--gradient-weight must be a number"),
    c("match F/L.tif F/R.tif --disparity 0:4 -o O/m.tif --nodata inf", 64, "--nodata must be a finite number or nan"),
    c("match F/L.tif F/empty.tif --disparity 0:4 -o O/m.tif", 1, "empty.tif"),
    c("match F/L.tif F/R.tif --disparity -4:4 -o O/m.tif", 0, "wrote O/m.tif", creates: ["m.tif"]),
    c("match F/L.tif F/R.tif --disparity -4:4 -o O/m.tif", 0, "wrote O/m.tif", stderr: .closed, creates: ["m.tif"]),

    // rasterize.
    c("rasterize F/bad.ply -o O/r.tif --resolution 1", 1, "bad.ply"),
    c("rasterize F/empty.ply -o O/r.tif --resolution 1", 1, "empty.ply"),
    c("rasterize F/cloud.ply -o O/r.tif --resolution 0", 64, "--resolution must be a number"),
    c("rasterize F/cloud.ply -o O/r.tif --resolution nan", 64, "--resolution must be a number"),
    c("rasterize O/cloud.ply -o O/cloud.ply --resolution 1", 64, "--output: O/cloud.ply is an input of this run (CLOUD)"),
    c("rasterize F/cloud.ply -o O/r.tif --resolution 1 --tile-size 0", 64, "--tile-size must be in 16...8192 cells"),
    c("rasterize F/cloud.ply -o O/r.tif --resolution 1 --datum geoid", 64, "The value 'geoid' is invalid for '--datum <datum>'"),
    c("rasterize F/cloud.ply -o O/r.tif --resolution 1 --epsg -5", 64, "--epsg must be in"),
    c("rasterize F/cloud.ply -o O/r.tif --resolution 1", 0, "wrote O/r.tif", creates: ["r.tif"]),

    // reflectance.
    c("reflectance F/S.tif -o O/r.tif", 1, "no radiometric metadata found for F/S.tif (looked for F/DIM_*.XML"),
    c("reflectance F/S.tif -o O/r.tif", 1, ".geom): give it with --dimap FILE"),
    c("reflectance F/S.tif -o O/r.tif --dimap F/missing.xml", 64, "--dimap: cannot open"),
    c("reflectance F/S.tif -o O/r.tif --dimap F/text.tif", 1, "text.tif"),
    c("reflectance F/S.tif -o O/r.tif --dimap F/text.tif --solar-irradiance inf", 64,
      "The value 'inf' is invalid for '--solar-irradiance <solar-irradiance>': must be positive numbers"),
    c("reflectance F/S.tif -o O/r.tif --dimap F/text.tif --solar-irradiance 1,a", 64, "must be positive numbers separated by commas"),
    c("reflectance O/in.tif -o O/in.tif", 64, "--output: O/in.tif is an input of this run (IMAGE)"),

    // pansharpen and its Wald protocol.
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --height nan", 64, "--height must be a number"),
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --height 1e9", 64, "--height must be a number"),
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --ratio 1", 64, "--ratio must be in 2...64"),
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --ratio 100000", 64, "--ratio must be in 2...64"),
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --method magic", 64, "The value 'magic' is invalid for '--method <method>'. Please provide one of 'brovey' and 'gsa'"),
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --type int8", 64, "The value 'int8' is invalid for '--type <type>'. Please provide one of 'uint16' and 'float32'"),
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --tile-size 8", 64, "--tile-size must be in 16...8192 PAN pixels"),
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --reflectance --ratio 4", 1, "give it with --pan-dimap FILE"),
    c("pansharpen F/L.tif F/S.tif -o O/p.tif --pan-dimap F/text.tif", 64, "--pan-dimap and --ms-dimap go with --reflectance"),
    c("pansharpen O/in.tif F/S.tif -o O/in.tif", 64, "--output: O/in.tif is an input of this run (PAN)"),
    c("pansharpen F/missing.tif F/S.tif -o O/p.tif", 64, "PAN: cannot open"),
    c("pansharpen F/L.tif F/L.tif -o O/p.tif", 64, "MS is the same file as PAN"),
    c("pansharpen-wald F/L.tif F/S.tif -o O/in.tif", 64, "--output: O/in.tif exists and is not a folder"),
    c("pansharpen-wald F/L.tif F/S.tif -o O/w --height nan", 64, "--height must be a number"),
    c("pansharpen-wald F/missing.tif F/S.tif -o O/w", 64, "PAN: cannot open"),

    // pwh.
    c("pwh -o O/out", 64, "give a PRODUCT folder, or --pan and --ms"),
    c("pwh F/missing -o O/out --height 500", 64, "PRODUCT: cannot open"),
    c("pwh --pan F/L.tif -o O/out", 64, "--pan and --ms go together"),
    c("pwh --pan F/L.tif --ms F/R.tif -o O/out", 64, "give exactly one of --dem DEM and --height H"),
    c("pwh --pan F/L.tif --ms F/R.tif -o O/out --height nan", 64, "--height must be a number"),
    c("pwh F/ -o O/in.tif --height 500", 64, "--output: O/in.tif exists and is not a folder"),
    c("pwh F/ -o O/out --resolution nan", 64, "--resolution must be a number"),
    c("pwh F/ -o O/out --geoid F/empty.txt", 64, "--geoid goes with --dem"),
    c("pwh F/ -o O/out --height 500 --method magic", 64, "The value 'magic' is invalid for '--method <method>'"),
    c("pwh F/ -o O/out --height 500 --tile 8", 64, "--tile must be in 16...8192 pixels"),
    c("pwh --pan F/L.tif --ms F/R.tif -o O/out --height 500", 1, "no radiometric metadata found for F/L.tif"),
    c("pwh --pan F/L.tif --ms F/R.tif -o O/out --height 500", 1, "give it with --pan-dimap FILE"),
    c("pwh --pan F/L.tif --ms F/R.tif -o O/out --height 500 --pan-dimap F/text.tif --ms-dimap F/text.tif", 1, "text.tif is not a DIMAP"),
    c("pwh --pan F/L.tif --ms F/R.tif -o O/in.tif/out --height 500", 64, "--output: O/in.tif is not a folder"),

    // compare.
    c("compare F/missing.tif F/truth.tif", 64, "DSM: cannot open"),
    c("compare F/text.tif F/truth.tif", 1, "text.tif"),
    c("compare F/truth.tif F/truth.tif --geoid F/missing.gtx", 1, "missing.gtx"),
    c("compare F/truth.tif F/truth.tif --geoid F/text.tif", 1, "text.tif"),
    c("compare F/truth.tif F/truth.tif --roi 1,2,3 --image F/L.tif", 64, "invalid for '--roi <roi>': must be COL,ROW,WIDTH,HEIGHT"),
    c("compare F/truth.tif F/truth.tif --roi 1,2,3,4", 64, "--roi and --image go together"),
    c("compare F/truth.tif F/truth.tif", 0, "median"),
    c("synthetic-scene render --size 10 O/s", 64, "--size must be in 64...200000 pixels, got 10"),
    c("synthetic-scene render --size nan O/s", 64, "The value 'nan' is invalid for '--size <size>'"),
    c("synthetic-scene render --size 1000000 O/s", 64, "--size must be in 64...200000 pixels"),
    c("synthetic-scene render --size 64 F/truth.tif", 64, "FOLDER: F/truth.tif exists and is not a folder"),
    c("synthetic-scene render --size 64 O/s", 0, "wrote O/s/right.tif", creates: ["s", "s/left.tif", "s/right.tif"]),
    c("synthetic-scene score --size 100 F/missing.tif", 64, "DSM: cannot open"),
    c("synthetic-scene score --size -5 F/truth.tif", 64, "--size must be in 64...200000 pixels, got -5"),
    c("synthetic-scene score --size 100 --share nan F/truth.tif", 64, "--share must be a number in [0.1, 1], got nan"),
    c("synthetic-scene score --size 100 --share 0 F/truth.tif", 64, "--share must be a number in [0.1, 1], got 0.0"),
    c("synthetic-scene score --size 100 F/S.tif", 1, "the DSM must be georeferenced north-up with a CRS"),
    c("synthetic-scene score --size 256 F/truth.tif", 0, "median"),

    // make-sample (hidden).
    c("make-sample O/nodir/s.tif", 64, "PATH: the folder O/nodir does not exist"),
]
