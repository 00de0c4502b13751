import CGDAL

/// The single funnel through which GDAL failures become `RasterError`s.
enum GDALCall {
    /// GDAL's last error message on this thread, or "" when there is none.
    static func lastMessage() -> String {
        guard CPLGetLastErrorType() != CE_None, let text = CPLGetLastErrorMsg() else { return "" }
        return String(cString: text)
    }

    static func lastNumber() -> Int32? {
        CPLGetLastErrorType() == CE_None ? nil : Int32(CPLGetLastErrorNo())
    }

    /// Builds the error for a failed call, adding GDAL's message to ours.
    static func error(
        _ kind: RasterError.Kind, path: String?, band: Int? = nil, window: Window? = nil,
        _ message: String = ""
    ) -> RasterError {
        let gdal = lastMessage()
        let text = [message, gdal].filter { !$0.isEmpty }.joined(separator: ": ")
        return RasterError(kind, path: path, band: band, window: window, message: text,
                           gdalErrorNumber: lastNumber())
    }

    /// Runs a GDAL call returning CPLErr and throws when it reports CE_Failure or worse.
    static func check(
        _ kind: RasterError.Kind, path: String?, band: Int? = nil, window: Window? = nil,
        _ body: () -> CPLErr
    ) throws {
        CPLErrorReset()
        let result = body()
        if result.rawValue >= CE_Failure.rawValue {
            throw error(kind, path: path, band: band, window: window)
        }
    }
}
