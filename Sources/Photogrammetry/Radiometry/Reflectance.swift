import Dispatch
import Foundation
import Raster

/// Scale of the stored reflectance: UInt16 = round(ρ x 10,000), as the provider's own
/// reflectance products.
public let reflectanceScale = 10_000.0

/// The factor k of ρ = k (DN / GAIN + BIAS) for one band: k = π d² / (E_sun cos θz), with d the
/// Earth-Sun distance (AU), E_sun the band's solar irradiance at 1 AU and θz = 90° - sun elevation.
///
/// - Complexity: O(1).
public func reflectanceFactor(solarIrradiance: Double, sunElevation: Double, earthSunDistance d: Double) -> Double {
    let cosZenith = sin(sunElevation * .pi / 180)   // cos(90° - e) = sin(e)
    return Double.pi * d * d / (solarIrradiance * cosZenith)
}

/// Converts DN to UInt16 top-of-atmosphere reflectance x `reflectanceScale`, in place of `output`:
/// out = clamp(round(scale · k · (DN / gain + bias))). A DN equal to `nodata` (or NaN) gives
/// `outputNodata`; valid values are clamped to 1...65535 when there is a nodata value (so that
/// 0 stays nodata), 0...65535 otherwise.
///
/// - Precondition: `dn.count == output.count`.
/// - Complexity: O(n), no scratch.
public func convertToReflectance(
    _ dn: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<UInt16>,
    gain: Double, bias: Double, factor k: Double, nodata: Float?, outputNodata: UInt16 = 0
) {
    precondition(dn.count == output.count, "convertToReflectance: \(dn.count) DN for \(output.count) outputs")
    let a = Float(reflectanceScale * k / gain), b = Float(reflectanceScale * k * bias)
    let low: Float = nodata == nil ? 0 : 1
    for i in 0..<dn.count {
        let v = dn[i]
        if v.isNaN || v == nodata { output[i] = outputNodata; continue }
        let r = (a * v + b).rounded()
        output[i] = UInt16(Swift.min(Swift.max(r, low), 65535))
    }
}

/// Converts every band of a DN image to (unscaled, Float) top-of-atmosphere reflectance in place:
/// ρ = k_b (DN / GAIN_b + BIAS_b) with k_b = `reflectanceFactor(...)`. Pixels equal to `nodata`
/// (or NaN) keep their value. The step of the PWH recipe that precedes the fusion.
///
/// - Precondition: `image.bandCount == metadata.bands.count`.
/// - Complexity: O(pixels · bands), no scratch.
public func reflectanceInPlace(_ image: inout ImageBuffer<Float>, metadata: RadiometricMetadata, nodata: Float?) {
    precondition(image.bandCount == metadata.bands.count, "reflectanceInPlace: \(image.bandCount) bands for \(metadata.bands.count)")
    let d = metadata.earthSunDistance
    for (b, band) in metadata.bands.enumerated() {
        let k = reflectanceFactor(solarIrradiance: band.solarIrradiance, sunElevation: metadata.sunElevation, earthSunDistance: d)
        let a = Float(k / band.gain), c = Float(k * band.bias)
        for y in 0..<image.height {
            let start = image.index(x: 0, y: y, band: b)
            for k in start ..< start + image.width {
                let v = image.storage[k]
                if v.isNaN || v == nodata { continue }
                image.storage[k] = a * v + c
            }
        }
    }
}

/// Summary of a reflectance conversion.
public struct ReflectanceSummary: Sendable {
    public var width: Int
    public var height: Int
    public var bands: [BandCalibration]
    /// Per band: k / GAIN, the reflectance of one DN (before the x 10,000 scale).
    public var reflectancePerDN: [Double]
    public var earthSunDistance: Double
    public var sunElevation: Double
}

/// DN -> TOA reflectance of a whole image, tile by tile (memory: one tile of all bands), parallel
/// over rows, written as UInt16 x 10,000 (COG by default, atomically). The input's geotransform,
/// CRS and RPC domain are copied, so a crop keeps its offset and a sensor image its model.
public func writeReflectance(
    image: String, metadata: RadiometricMetadata, output: String, options: WriteOptions = .cog, tileSize: Int = 512
) throws -> ReflectanceSummary {
    let dataset = try Dataset(path: image)
    guard dataset.bandCount == metadata.bands.count else {
        throw RadiometryError.bandCountMismatch(image: image, imageBands: dataset.bandCount,
                                                metadata: metadata.file, metadataBands: metadata.bands.count)
    }
    let d = metadata.earthSunDistance
    let factors = metadata.bands.map {
        reflectanceFactor(solarIrradiance: $0.solarIrradiance, sunElevation: metadata.sunElevation, earthSunDistance: d)
    }
    let nodata = try dataset.nodata(band: 1).map { Float($0) }
    var md = ["REFLECTANCE_SCALE": "10000", "RADIOMETRY": "top-of-atmosphere reflectance",
              "EARTH_SUN_DISTANCE_AU": String(format: "%.6f", d), "SUN_ELEVATION": "\(metadata.sunElevation)"]
    md["ACQUISITION_DATE"] = metadata.acquisitionDate
    var domains = ["": md]
    let rpc = dataset.metadata(domain: "RPC")
    if !rpc.isEmpty { domains["RPC"] = rpc }
    let writer = try RasterWriter(
        path: output, width: dataset.width, height: dataset.height, bands: dataset.bandCount, type: .uint16,
        options: options, geoTransform: dataset.geoTransform, spatialReference: dataset.spatialReference,
        nodata: nodata == nil ? nil : 0, bandDescriptions: metadata.bands.map(\.id), metadata: domains)
    for tile in try Tiling(width: dataset.width, height: dataset.height, tileWidth: tileSize) {
        let dn = try dataset.read(Float.self, window: tile.core)
        var out = ImageBuffer<UInt16>(width: dn.width, height: dn.height, bands: dn.bandCount)
        let rows = dn.height, width = dn.width, outRow = out.rowStride, outBand = out.bandStride
        for (b, band) in metadata.bands.enumerated() {
            dn.storage.withUnsafeBufferPointer { src in
                out.storage.withUnsafeMutableBufferPointer { dst in
                    nonisolated(unsafe) let input = src, result = dst
                    DispatchQueue.concurrentPerform(iterations: rows) { y in
                        let start = dn.index(x: 0, y: y, band: b), o = b * outBand + y * outRow
                        convertToReflectance(UnsafeBufferPointer(rebasing: input[start ..< start + width]),
                                             into: UnsafeMutableBufferPointer(rebasing: result[o ..< o + width]),
                                             gain: band.gain, bias: band.bias, factor: factors[b], nodata: nodata)
                    }
                }
            }
        }
        try writer.write(out, x: tile.core.x, y: tile.core.y)
    }
    try writer.commit()
    return ReflectanceSummary(width: dataset.width, height: dataset.height, bands: metadata.bands,
                              reflectancePerDN: zip(factors, metadata.bands).map { $0 / $1.gain },
                              earthSunDistance: d, sunElevation: metadata.sunElevation)
}
