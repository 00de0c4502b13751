import ArgumentParser
import Photogrammetry
import Raster

// Option values parsed once, by the argument parser: an unknown value is refused with the list
// of valid ones (exit 64) before `validate()`, and `run()` reads the typed value.

extension SubpixelMethod: ExpressibleByArgument {}
extension DisparitySearch: ExpressibleByArgument {}
extension SGMPaths: ExpressibleByArgument {}
extension OrthoResampling: ExpressibleByArgument {}
extension PansharpenMethod: ExpressibleByArgument {}
extension PixelType: ExpressibleByArgument {}

/// Vertical datum of an output DSM.
enum DatumChoice: String, ExpressibleByArgument, CaseIterable {
    case ellipsoid, egm96
}

/// Per-cell statistic of `dsm`.
enum StatisticChoice: String, ExpressibleByArgument, CaseIterable {
    case median, mean

    var cellStatistic: CellStatistic { self == .mean ? .mean : .median }
}

/// File layout of `ortho`'s output.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Tiles, overviews, mask.
    case cog
    /// Tiled DEFLATE GeoTIFF with mask, no overviews.
    case gtiff
}

/// Pixel type of `pansharpen`'s output.
enum FusedType: String, ExpressibleByArgument, CaseIterable {
    case uint16, float32

    var pixelType: PixelType { self == .float32 ? .float32 : .uint16 }
}

/// A census window `WIDTHxHEIGHT` (the odd sizes and the 9x7 limit are the matcher's checks).
struct CensusWindow: ExpressibleByArgument, CustomStringConvertible {
    var width: Int
    var height: Int

    init(width: Int, height: Int) { (self.width, self.height) = (width, height) }

    init?(argument: String) {
        let parts = argument.split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
        (width, height) = (w, h)
    }

    var description: String { "\(width)x\(height)" }
}

/// A message for a value the argument parser could not read; it is shown after
/// "The value 'X' is invalid for '--option <value>': ".
struct ValueError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Parsers of the composite option values (`transform:` of their options).
enum ArgumentValues {
    /// `COL,ROW,WIDTH,HEIGHT` with integers, positive sizes, a start inside the image.
    @Sendable static func roi(_ text: String) throws -> Window {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let x = parts[0], let y = parts[1], let w = parts[2], let h = parts[3] else {
            throw ValueError("must be COL,ROW,WIDTH,HEIGHT (four integers)")
        }
        guard w > 0, h > 0 else { throw ValueError("width and height must be positive") }
        guard x >= 0, y >= 0 else { throw ValueError("must start inside the image (COL and ROW at least 0)") }
        return Window(x: x, y: y, width: w, height: h)
    }

    /// 1-based band numbers separated by commas.
    @Sendable static func bands(_ text: String) throws -> [Int] {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 1 }) else {
            throw ValueError("takes 1-based band numbers separated by commas")
        }
        return values.map { $0! }
    }

    /// Positive finite numbers separated by commas.
    @Sendable static func positiveNumbers(_ text: String) throws -> [Double] {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) > 0 && $0!.isFinite }) else {
            throw ValueError("must be positive numbers separated by commas")
        }
        return values.map { $0! }
    }

    /// A disparity range `MIN:MAX`.
    @Sendable static func disparities(_ text: String) throws -> ClosedRange<Int> {
        do { return try parseDisparityRange(text) } catch { throw ValueError("\(error)") }
    }
}
