import CGDAL

/// The pixel data types Relief reads and writes, mirroring GDAL's.
public enum PixelType: String, Sendable, CaseIterable {
    case uint8 = "Byte", uint16 = "UInt16", int16 = "Int16", uint32 = "UInt32", int32 = "Int32"
    case float32 = "Float32", float64 = "Float64"

    init?(gdal: GDALDataType) {
        switch gdal {
        case GDT_Byte: self = .uint8
        case GDT_UInt16: self = .uint16
        case GDT_Int16: self = .int16
        case GDT_UInt32: self = .uint32
        case GDT_Int32: self = .int32
        case GDT_Float32: self = .float32
        case GDT_Float64: self = .float64
        default: return nil
        }
    }

    var gdal: GDALDataType {
        switch self {
        case .uint8: GDT_Byte
        case .uint16: GDT_UInt16
        case .int16: GDT_Int16
        case .uint32: GDT_UInt32
        case .int32: GDT_Int32
        case .float32: GDT_Float32
        case .float64: GDT_Float64
        }
    }

    /// Bytes per pixel.
    public var size: Int {
        switch self {
        case .uint8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .float64: 8
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
}

/// A Swift scalar that maps onto a GDAL pixel type, for typed reads and writes.
public protocol RasterScalar: Numeric, Sendable, BitwiseCopyable {
    static var pixelType: PixelType { get }
    /// The value as a Double (nodata, statistics).
    var doubleValue: Double { get }
}

extension UInt8: RasterScalar {
    public static var pixelType: PixelType { .uint8 }
    public var doubleValue: Double { Double(self) }
}
extension UInt16: RasterScalar {
    public static var pixelType: PixelType { .uint16 }
    public var doubleValue: Double { Double(self) }
}
extension Int16: RasterScalar {
    public static var pixelType: PixelType { .int16 }
    public var doubleValue: Double { Double(self) }
}
extension UInt32: RasterScalar {
    public static var pixelType: PixelType { .uint32 }
    public var doubleValue: Double { Double(self) }
}
extension Int32: RasterScalar {
    public static var pixelType: PixelType { .int32 }
    public var doubleValue: Double { Double(self) }
}
extension Float: RasterScalar {
    public static var pixelType: PixelType { .float32 }
    public var doubleValue: Double { Double(self) }
}
extension Double: RasterScalar {
    public static var pixelType: PixelType { .float64 }
    public var doubleValue: Double { self }
}
