import Dispatch
import Foundation
import Raster

extension Orthorectifier {
    /// Orthorectifies one window of the output grid (by default all of it) into memory, one band
    /// per selected image band, NaN where there is no data. For small grids (a DSM texture);
    /// `write(to:options:)` keeps memory bounded on large ones.
    public func orthorectify(window: Window? = nil, options: OrthoOptions = OrthoOptions()) throws -> (image: ImageBuffer<Float>, statistics: InverseMapStatistics) {
        let area = window ?? Window(width: grid.width, height: grid.height)
        let bands = try selectedBands(options)
        nonisolated(unsafe) var out = ImageBuffer<Float>(width: area.width, height: area.height, bands: bands.count, filledWith: .nan)
        let lock = NSLock()
        let stats = try forEachTile(of: area, options: options) { core, tile in
            lock.withLock {
                for b in 0..<tile.bandCount {
                    for y in 0..<core.height {
                        let src = tile.index(x: 0, y: y, band: b), dst = out.index(x: core.x - area.x, y: core.y - area.y + y, band: b)
                        out.storage.replaceSubrange(dst ..< dst + core.width, with: tile.storage[src ..< src + core.width])
                    }
                }
            }
        }
        return (out, stats)
    }

    /// Orthorectifies the whole grid into a raster written atomically (a COG by default, with
    /// overviews): nothing appears at `path` unless every tile succeeded.
    ///
    /// Output pixel type: `options.outputType`, by default the image's (Byte, UInt16, Int16;
    /// Float32 otherwise). No data (outside the footprint, DEM holes, image nodata) is the
    /// image's nodata value when it has one, else NaN (Float32), 0 (Byte, UInt16: valid values
    /// are clamped to >= 1 to stay distinct) or -32768 (Int16), and the file has a per-dataset
    /// mask band (255 = valid in every band). Both: the mask is GDAL's explicit validity (it wins
    /// over nodata in GDAL readers, and the COG driver builds its overviews), the nodata value
    /// serves readers that ignore masks.
    /// - Complexity: O(output pixels · bands · taps); memory O(threads · tileSize² · bands).
    public func write(to path: String, options: OrthoOptions = OrthoOptions()) throws -> OrthoSummary {
        try options.validate()
        let bands = try selectedBands(options)
        let type = options.outputType ?? ([.uint8, .uint16, .int16].contains(pixelType) ? pixelType : .float32)
        let nodata: Double = imageNodata ?? (type.isFloatingPoint ? .nan : type == .int16 ? -32768 : 0)
        let lowest: Float = switch type {
        case .uint8, .uint16: nodata == 0 ? 1 : 0
        case .int16: nodata == -32768 ? -32767 : -32768
        default: -.greatestFiniteMagnitude
        }
        var gdalMeta = ["": ["RELIEF_ORTHO": "image \(URL(fileURLWithPath: image).lastPathComponent), \(options.resampling.rawValue) resampling"]]
        gdalMeta[""]!.merge(options.metadata) { _, extra in extra }
        nonisolated(unsafe) let writer = try RasterWriter(
            path: path, width: grid.width, height: grid.height, bands: bands.count, type: type, options: options.writeOptions,
            geoTransform: grid.geoTransform, spatialReference: SpatialReference(epsg: grid.epsg), nodata: nodata, metadata: gdalMeta)
        let lock = NSLock()
        nonisolated(unsafe) var valid = 0
        let stats = try forEachTile(of: Window(width: grid.width, height: grid.height), options: options) { core, tile in
            var t = tile
            let fill = Float(nodata)
            for k in t.storage.indices {
                let v = t.storage[k]
                t.storage[k] = v.isNaN ? fill : max(v, lowest)
            }
            // Mask: valid where every band has a value.
            var mask = ImageBuffer<UInt8>(width: tile.width, height: tile.height, filledWith: 255)
            var count = tile.width * tile.height
            for y in 0..<tile.height {
                for x in 0..<tile.width where (0..<tile.bandCount).contains(where: { tile[x, y, $0].isNaN }) {
                    mask[x, y] = 0
                    count -= 1
                }
            }
            try lock.withLock {
                valid += count
                try writer.write(t, x: core.x, y: core.y)
                try writer.writeMask(mask, x: core.x, y: core.y)
            }
        }
        try writer.commit()
        let tiles = try Tiling(width: grid.width, height: grid.height, tileWidth: options.tileSize).count
        return OrthoSummary(grid: grid, tiles: tiles, validPixels: valid, inverseMap: stats, outputType: type, nodata: nodata)
    }

    func selectedBands(_ options: OrthoOptions) throws -> [Int] {
        let bands = options.bands ?? Array(1...bandCount)
        for b in bands where b < 1 || b > bandCount { throw OrthoError.bandOutOfRange(band: b, image: image, bandCount: bandCount) }
        guard !bands.isEmpty else { throw OrthoError.invalidOption(name: "bands", value: "[]", reason: "at least one band") }
        return bands
    }

    /// Runs `body` on every output tile of `area` (cores in grid pixels, tile images of all
    /// selected bands, NaN = no data), tiles spread over `options.threads` workers, each with its
    /// own GDAL dataset and coordinate transformations. `body` may run on several threads at once.
    /// The first error stops the workers and is thrown.
    func forEachTile(of area: Window, options: OrthoOptions,
                     _ body: @Sendable (Window, ImageBuffer<Float>) throws -> Void) throws -> InverseMapStatistics {
        try options.validate()
        let bands = try selectedBands(options)
        let tiling = try Tiling(width: area.width, height: area.height, tileWidth: options.tileSize)
        let workers = min(tiling.count, options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let lock = NSLock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var failure: Error?
        nonisolated(unsafe) var stats = InverseMapStatistics()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            do {
                let dataset = try Dataset(path: image)
                let mapper = try GroundToSensor(grid: grid, model: model, heights: heights)
                while true {
                    let index: Int? = lock.withLock {
                        guard failure == nil, next < tiling.count else { return nil }
                        next += 1
                        return next - 1
                    }
                    guard let index else { return }
                    let core = tiling[index].core.offsetBy(dx: area.x, dy: area.y)
                    let (tile, s) = try orthoTile(core, dataset: dataset, mapper: mapper, bands: bands, options: options)
                    try body(core, tile)
                    lock.withLock { stats.merge(s) }
                }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
        if let failure { throw failure }
        return stats
    }

    /// One output tile: inverse map, the sensor window it needs (read once), resampling.
    func orthoTile(_ core: Window, dataset: Dataset, mapper: GroundToSensor, bands: [Int], options: OrthoOptions)
        throws -> (ImageBuffer<Float>, InverseMapStatistics) {
        try mapper.prepare(x0: core.x, y0: core.y, width: core.width, height: core.height)
        let map = try coarseInverseMap(width: core.width, height: core.height, step: options.coarseStep, tolerance: options.tolerance) { xs, ys in
            try mapper.map(columns: xs.map { $0 + Double(core.x) }, rows: ys.map { $0 + Double(core.y) })
        }
        // Bounding box of the positions inside the image.
        var c0 = Double.infinity, c1 = -Double.infinity, r0 = Double.infinity, r1 = -Double.infinity
        let maxC = Double(imageWidth) - 0.5, maxR = Double(imageHeight) - 0.5
        for k in map.columns.indices {
            let c = map.columns[k], r = map.rows[k]
            guard c >= -0.5, c < maxC, r >= -0.5, r < maxR else { continue }
            c0 = min(c0, c); c1 = max(c1, c); r0 = min(r0, r); r1 = max(r1, r)
        }
        guard c0 <= c1 else {
            return (ImageBuffer(width: core.width, height: core.height, bands: bands.count, filledWith: .nan), map.statistics)
        }
        let radius = options.resampling.radius + 1
        let wanted = Window(x: Int(c0.rounded(.down)) - radius, y: Int(r0.rounded(.down)) - radius,
                            width: Int(c1.rounded(.up)) - Int(c0.rounded(.down)) + 2 * radius + 1,
                            height: Int(r1.rounded(.up)) - Int(r0.rounded(.down)) + 2 * radius + 1)
        let window = wanted.clipped(toWidth: imageWidth, height: imageHeight)!
        var source = try dataset.read(Float.self, window: window, bands: bands)
        if let imageNodata {
            let nd = Float(imageNodata)
            for k in source.storage.indices where source.storage[k] == nd { source.storage[k] = .nan }
        }
        let out = resampleSensor(source, originX: window.x, originY: window.y, imageWidth: imageWidth, imageHeight: imageHeight,
                                 columns: map.columns, rows: map.rows, width: core.width, height: core.height, method: options.resampling)
        return (out, map.statistics)
    }
}
