// Raster I/O benchmark: Relief's tiled reads and COG writes against GDAL's own command-line
// tools doing the same work on the same files, in the same run. Prints a Markdown table.
//
// swift run -c release raster-bench [SIZE]
import Foundation
import Raster

let size = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 4096 : 4096
let folder = NSTemporaryDirectory() + "relief-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Best of `runs` wall times.
func best(_ runs: Int = 3, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs { times.append(try seconds(body)) }
    return times.min()!
}

func shell(_ command: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "(" + command + ") >/dev/null 2>&1"]
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { fatalError("failed: \(command)") }
}

// A DSM-like Float32 surface, written as an uncompressed tiled GeoTIFF (the peers' input).
let tiling = try Tiling(width: size, height: size, tileWidth: 512)
func surfaceTile(_ w: Window) -> ImageBuffer<Float> {
    var tile = ImageBuffer<Float>(width: w.width, height: w.height)
    for y in 0..<w.height {
        for x in 0..<w.width {
            let gx = Float(w.x + x), gy = Float(w.y + y)
            tile[x, y] = 300 + 40 * sin(gx / 97) * cos(gy / 61) + Float(((w.x + x) * 31 + (w.y + y) * 17) & 7) * 0.05
        }
    }
    return tile
}
let gt = GeoTransform(originX: 680_000, originY: 4_900_000, pixelWidth: 0.5, pixelHeight: 0.5)
let crs = try SpatialReference(epsg: 32631)
let raw = folder + "/raw.tif"
let rawWriter = try RasterWriter(path: raw, width: size, height: size, type: .float32,
                                 options: WriteOptions(format: .geoTIFF, compression: .none, blockSize: 256),
                                 geoTransform: gt, spatialReference: crs)
for tile in tiling { try rawWriter.write(surfaceTile(tile.core), x: tile.core.x, y: tile.core.y) }
try rawWriter.commit()

// 1. COG writing: Relief (tile by tile from memory) vs gdal_translate -of COG of the raw file.
let ours = try best {
    let writer = try RasterWriter(path: folder + "/ours.tif", width: size, height: size, type: .float32,
                                  options: WriteOptions(format: .cog, compression: .deflate),
                                  geoTransform: gt, spatialReference: crs, nodata: .nan)
    for tile in tiling {
        let ds = try Dataset(path: raw)
        try writer.write(try ds.read(Float.self, band: 1, window: tile.core), x: tile.core.x, y: tile.core.y)
    }
    try writer.commit()
}
let peer = try best {
    try shell("gdal_translate -q -of COG -co COMPRESS=DEFLATE -co PREDICTOR=YES -co OVERVIEWS=AUTO -co RESAMPLING=AVERAGE -a_nodata nan \(raw) \(folder)/peer.tif")
}

// 2. Reading: every 512 px tile with a 32 px halo (what a matcher reads, 13 % more pixels) vs
// gdalinfo -stats reading every pixel once (PAM off so it computes each time).
let cog = folder + "/ours.tif"
let oursRead = try best {
    let ds = try Dataset(path: cog)
    var sum = 0.0
    for tile in try Tiling(width: size, height: size, tileWidth: 512, halo: 32) {
        let buffer = try ds.read(Float.self, band: 1, window: tile.paddedWindow, fill: .nan)
        sum += Double(buffer.storage[buffer.storage.count / 2])
    }
    precondition(sum.isFinite || sum.isNaN)
}
let peerRead = try best { try shell("GDAL_PAM_ENABLED=NO gdalinfo -stats \(cog)") }

let mpix = Double(size * size) / 1e6
print("| raster-bench \(size)x\(size) Float32 | Relief (s) | GDAL CLI (s) | ratio Relief/GDAL |")
print("| --- | --- | --- | --- |")
print(String(format: "| COG write, DEFLATE+predictor, overviews | %.3f | %.3f (gdal_translate -of COG) | %.2f |", ours, peer, ours / peer))
print(String(format: "| read all 512 px tiles + 32 px halo | %.3f | %.3f (gdalinfo -stats) | %.2f |", oursRead, peerRead, oursRead / peerRead))
print(String(format: "\n%.1f Mpix; best of 3 runs each.", mpix))
