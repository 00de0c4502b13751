/// The one error type of the Raster library: what failed, on which file, band and window,
/// and GDAL's own message when GDAL said something.
public struct RasterError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case notFound = "file not found"
        case isDirectory = "is a directory, not a raster"
        case emptyFile = "file is empty"
        case openFailed = "cannot open as a raster"
        case bandOutOfRange = "band index out of range"
        case invalidArgument = "invalid argument"
        case readFailed = "read failed"
        case writeFailed = "write failed"
        case createFailed = "cannot create output"
        case commitFailed = "cannot finish output"
        case unsupported = "unsupported"
        case spatialReference = "spatial reference error"
    }

    public var kind: Kind
    public var path: String?
    public var band: Int?
    public var window: Window?
    /// Our explanation, then GDAL's last error message where there was one.
    public var message: String
    /// GDAL's CPLErrorNum when the failure came from GDAL, nil otherwise.
    public var gdalErrorNumber: Int32?

    public init(
        _ kind: Kind, path: String? = nil, band: Int? = nil, window: Window? = nil,
        message: String = "", gdalErrorNumber: Int32? = nil
    ) {
        self.kind = kind
        self.path = path
        self.band = band
        self.window = window
        self.message = message
        self.gdalErrorNumber = gdalErrorNumber
    }

    public var description: String {
        var where_: [String] = []
        if let band { where_.append("band \(band)") }
        if let window { where_.append("window \(window)") }
        var text = kind.rawValue
        if let path { text += ": \(path)" }
        if !where_.isEmpty { text += " (" + where_.joined(separator: ", ") + ")" }
        if !message.isEmpty { text += ": \(message)" }
        return text
    }
}
