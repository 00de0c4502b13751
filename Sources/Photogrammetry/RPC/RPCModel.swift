/// Where an RPC model was read from.
public enum RPCFormat: String, Sendable, Equatable {
    /// GDAL's `RPC` metadata domain: GeoTIFF RPC tags, `.RPB`, `_RPC.TXT`, NITF RPC00B TRE.
    case gdal
    /// A `KEY: value` RPC text file (IKONOS, Planet, SkySat `_RPC.TXT`) or a `.RPB` file given as
    /// the model itself, read without GDAL.
    case text
    /// Pléiades / SPOT 6-7 DIMAP v2 `RPC_*.XML` (1-based offsets, direct + inverse models).
    case dimapV2
    /// Pléiades Neo DIMAP (`ImagetoGround_Values` / `GroundtoImage_Values`, 0-based offsets).
    case pleiadesNeo
    /// Pléiades DIMAP v1.4 `PHRDIMAP_*.XML` (F_LON/F_LAT/F_COL/F_ROW, 1-based offsets).
    case dimapV1
    /// OSSIM keyword list `.geom` (ossimPleiadesModel / ossimRpcModel, RPC00B "B" ordering).
    case ossimGeom
    /// DigitalGlobe / Maxar WorldView `.XML` (`isd/RPB/IMAGE`).
    case worldView
    /// rpcm's dictionary as JSON (`row_offset`, ..., `row_num`; DFC2019 `JAX_*.json`).
    case rpcmJSON
    /// Built in code (fitted, synthetic).
    case memory
}

/// An RPC camera: the RPC00B ground-to-image model and, when the file provides one (Pléiades and
/// SPOT DIMAP), the direct image-to-ground model.
///
/// **Pixel convention: 0-based pixel centres** (RPC00B, GDAL's RPC metadata, rpcm): the centre of
/// the first pixel is (col, row) = (0, 0) and the pixel covers [-0.5, 0.5)². Every reader converts
/// to it (DIMAP's 1-based offsets lose 1). shareloc's convention is ours + 0.5; GDAL's
/// corner-based pixel/line space is ours + 0.5 as well.
///
/// Heights are metres above the WGS84 ellipsoid; longitude and latitude are degrees (WGS84).
public struct RPCModel: Sendable, Equatable {
    /// The RPC00B ground-to-image coefficients (0-based pixel centres).
    public let coefficients: RPCCoefficients
    /// The direct (image-to-ground) model read from the file, if any: (col, row, h) -> (lon, lat).
    public let direct: RPCRationalMap?
    /// The file the model comes from (for messages).
    public let source: String
    public let format: RPCFormat

    /// (lon, lat, h) -> (col, row).
    public let projector: RPCRationalMap
    /// The first guess of localisation: `direct`, or an approximate direct model fitted to the
    /// inverse model when the file has none (fitted at init: 605 projections and two 39-unknown
    /// least-squares fits, about a millisecond in release builds).
    let guess: RPCRationalMap?

    public init(coefficients: RPCCoefficients, direct: RPCRationalMap? = nil, source: String, format: RPCFormat) {
        self.init(coefficients: coefficients, direct: direct, guess: nil, source: source, format: format)
    }

    /// `guess` nil: the direct model, or a fitted approximation when there is none.
    private init(coefficients: RPCCoefficients, direct: RPCRationalMap?, guess: RPCRationalMap?, source: String, format: RPCFormat) {
        self.coefficients = coefficients
        self.direct = direct
        self.source = source
        self.format = format
        let projector = RPCRationalMap(
            uNumerator: coefficients.sampleNumerator, uDenominator: coefficients.sampleDenominator,
            vNumerator: coefficients.lineNumerator, vDenominator: coefficients.lineDenominator,
            inputOffset: SIMD3(coefficients.longitudeOffset, coefficients.latitudeOffset, coefficients.heightOffset),
            inputScale: SIMD3(coefficients.longitudeScale, coefficients.latitudeScale, coefficients.heightScale),
            outputOffset: SIMD2(coefficients.sampleOffset, coefficients.lineOffset),
            outputScale: SIMD2(coefficients.sampleScale, coefficients.lineScale))
        self.projector = projector
        self.guess = direct ?? guess ?? RPCModel.approximateDirectModel(projector)
    }

    /// The model of a crop (or any image whose pixel (0, 0) is pixel (`column`, `row`) of this
    /// model's image): projections come out `column`, `row` smaller. Exact.
    public func cropped(column: Double, row: Double) -> RPCModel {
        var c = coefficients
        c.sampleOffset -= column
        c.lineOffset -= row
        return RPCModel(coefficients: c, direct: direct?.shiftingInput(by: column, row),
                        guess: guess?.shiftingInput(by: column, row), source: source, format: format)
    }

    /// The model of this image resampled by `factor` (2 = downsampled by 2, each new pixel
    /// covering 2 x 2 old ones), pixel corners aligned: a pixel centre x maps to
    /// x' = (x + 0.5) / factor - 0.5. Exact (only offsets and scales change), direct model included.
    public func rescaled(by factor: Double) -> RPCModel {
        precondition(factor > 0 && factor.isFinite, "a positive scale factor")
        var c = coefficients
        c.sampleOffset = (c.sampleOffset + 0.5) / factor - 0.5
        c.lineOffset = (c.lineOffset + 0.5) / factor - 0.5
        c.sampleScale /= factor
        c.lineScale /= factor
        func rescale(_ m: RPCRationalMap?) -> RPCRationalMap? {
            guard let m else { return nil }
            let offset = SIMD3((m.inputOffset.x + 0.5) / factor - 0.5, (m.inputOffset.y + 0.5) / factor - 0.5, m.inputOffset.z)
            let scale = SIMD3(m.inputScale.x / factor, m.inputScale.y / factor, m.inputScale.z)
            return m.withInputNormalisation(offset: offset, scale: scale)
        }
        return RPCModel(coefficients: c, direct: rescale(direct), guess: rescale(guess), source: source, format: format)
    }

    /// The validity domain in ground space: offset ± scale for lon, lat and h.
    public var groundDomain: (longitude: ClosedRange<Double>, latitude: ClosedRange<Double>, height: ClosedRange<Double>) {
        let c = coefficients
        func range(_ o: Double, _ s: Double) -> ClosedRange<Double> { (o - abs(s))...(o + abs(s)) }
        return (range(c.longitudeOffset, c.longitudeScale), range(c.latitudeOffset, c.latitudeScale),
                range(c.heightOffset, c.heightScale))
    }

    /// The validity domain in image space: offset ± scale for col and row.
    public var imageDomain: (column: ClosedRange<Double>, row: ClosedRange<Double>) {
        let c = coefficients
        return ((c.sampleOffset - abs(c.sampleScale))...(c.sampleOffset + abs(c.sampleScale)),
                (c.lineOffset - abs(c.lineScale))...(c.lineOffset + abs(c.lineScale)))
    }

    public static func == (a: RPCModel, b: RPCModel) -> Bool {
        a.coefficients == b.coefficients && a.direct == b.direct && a.source == b.source && a.format == b.format
    }
}
