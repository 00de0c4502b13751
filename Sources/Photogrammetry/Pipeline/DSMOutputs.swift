import Foundation
import Raster

extension DSMPipeline {
    /// Projects the tiles' points to the grid's CRS, tile by tile, streaming them into the LAS
    /// file when asked, and writes the DSM (all pairs' points fused by the cell statistic) and
    /// the confidence raster when asked. The LAS file is renamed into place last, so a failure
    /// leaves none of the three half-written (the DSM and confidence are atomic each).
    /// The in-memory path (`DSMConfiguration.spillsPoints` false): every point held at once.
    ///
    /// - Parameter pairs: the pair index of each part (the LAS point source ID is pair + 1).
    /// - Complexity: O(points) time; the projected cloud (24 bytes a point, plus 8 for the
    ///   confidences when asked) and one tile's LAS records in memory.
    static func writeOutputs(
        parts: [TilePoints], pairs: [Int], grid: DSMGrid, configuration c: DSMConfiguration
    ) throws -> DSMSummary {
        let count = parts.reduce(0) { $0 + $1.count }
        var x: [Double] = [], y: [Double] = [], z: [Double] = [], confidences: [Double] = []
        x.reserveCapacity(count); y.reserveCapacity(count); z.reserveCapacity(count)
        if c.confidence != nil { confidences.reserveCapacity(count) }
        let las = try c.pointCloud.map { path in
            try LASWriter(path: path, wkt: try c.datum.spatialReference(horizontalEPSG: grid.epsg ?? 4326).wkt,
                          origin: (grid.originX, grid.originY, 0))
        }
        for (part, pair) in zip(parts, pairs) where part.count > 0 {
            let projected = try PointCloud.projectingTile(longitudes: part.longitudes, latitudes: part.latitudes,
                                                      heights: part.heights, epsg: grid.epsg)
            x += projected.x
            y += projected.y
            z += projected.z
            if c.confidence != nil { confidences += part.confidences.map(Double.init) }
            var lasZ = projected.z
            if las != nil { try c.datum.convert(heights: &lasZ, x: projected.x, y: projected.y, epsg: grid.epsg ?? 4326) }
            try las?.append(x: projected.x, y: projected.y, z: lasZ,
                            intensity: part.confidences.map { UInt16((min(max($0, 0), 1) * 65535).rounded()) },
                            source: UInt16(pair + 1))
        }
        let cloud = PointCloud(x: x, y: y, z: z, epsg: grid.epsg)
        let dsm = try writeDSM(cloud, grid: grid, to: c.output, parameters: c.rasterization, datum: c.datum, metadata: c.outputMetadata)
        if let path = c.confidence {
            try writeConfidence(PointCloud(x: x, y: y, z: confidences, epsg: grid.epsg), grid: grid, to: path,
                                tileSize: c.rasterization.tileSize)
        }
        try las?.finish()
        return dsm
    }
}

extension DSMPipeline {
    /// `writeOutputs` from the points spilled to disk (`PointSpill`): the LAS file streamed from
    /// the chunks in job order, the points sorted into one file per DSM output tile (already done
    /// when the bins were streamed), then the DSM and the confidence raster rasterised from those
    /// files, `workers` output tiles at once (`writeDSMTiles`), each tile's file removed once
    /// written. Same files as the in-memory `writeOutputs` (same points in the same order), bit
    /// for bit.
    ///
    /// - Complexity: O(points) time and disk; memory one matching tile's points (LAS), then
    ///   `workers` output tiles' points and cells, plus `PointSpill.binBufferBytes`.
    static func writeOutputs(spill: PointSpill, grid: DSMGrid, configuration c: DSMConfiguration, workers: Int = 1) throws -> DSMSummary {
        let las = try c.pointCloud.map { path in
            try LASWriter(path: path, wkt: try c.datum.spatialReference(horizontalEPSG: grid.epsg ?? 4326).wkt,
                          origin: (grid.originX, grid.originY, 0))
        }
        if let las {
            for chunk in spill.chunks {
                guard let chunk, chunk.count > 0 else { continue }
                let p = try spill.read(chunk)
                var z = p.z
                try c.datum.convert(heights: &z, x: p.x, y: p.y, epsg: grid.epsg ?? 4326)
                try las.append(x: p.x, y: p.y, z: z,
                               intensity: p.confidences.map { UInt16((min(max($0, 0), 1) * 65535).rounded()) },
                               source: UInt16(chunk.pair + 1))
            }
        }
        try spill.binByTile(try rasterizationTiling(grid: grid, parameters: c.rasterization))
        let withConfidence = c.confidence != nil
        let dsm = try writeDSMTiles(
            grid: grid, to: c.output, confidence: c.confidence, parameters: c.rasterization, datum: c.datum,
            metadata: c.outputMetadata, workers: workers,
            points: { tile in
                let bin = try spill.bin(tile.index)
                return TilePointSet(cloud: bin.cloud, confidences: withConfidence ? bin.confidences : nil)
            },
            done: { spill.dropBin($0) })
        try las?.finish()
        return dsm
    }
}
