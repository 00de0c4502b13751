/// The 90 numbers of an RPC00B rational function model, as stored in GDAL's `RPC` metadata
/// domain (GeoTIFF RPC tags, `.RPB`, `_RPC.TXT`, NITF RPC00B): ten offsets and scales and four
/// 20-term cubic polynomials in RPC00B term order
/// (1, L, P, H, LP, LH, PH, L², P², H², PLH, L³, LP², LH², L²P, P³, PH², L²H, P²H, H³),
/// L, P, H being normalised longitude, latitude and height.
///
/// Image coordinates follow RPC00B: 0-based, the first pixel's centre at (0, 0).
/// `RPCModel` wraps these values with evaluation, localisation and the readers of other formats.
public struct RPCCoefficients: Sendable, Equatable {
    public var lineOffset: Double, sampleOffset: Double
    public var latitudeOffset: Double, longitudeOffset: Double, heightOffset: Double
    public var lineScale: Double, sampleScale: Double
    public var latitudeScale: Double, longitudeScale: Double, heightScale: Double
    public var lineNumerator: [Double], lineDenominator: [Double]
    public var sampleNumerator: [Double], sampleDenominator: [Double]

    public init(
        lineOffset: Double, sampleOffset: Double, latitudeOffset: Double, longitudeOffset: Double,
        heightOffset: Double, lineScale: Double, sampleScale: Double, latitudeScale: Double,
        longitudeScale: Double, heightScale: Double, lineNumerator: [Double], lineDenominator: [Double],
        sampleNumerator: [Double], sampleDenominator: [Double]
    ) {
        self.lineOffset = lineOffset
        self.sampleOffset = sampleOffset
        self.latitudeOffset = latitudeOffset
        self.longitudeOffset = longitudeOffset
        self.heightOffset = heightOffset
        self.lineScale = lineScale
        self.sampleScale = sampleScale
        self.latitudeScale = latitudeScale
        self.longitudeScale = longitudeScale
        self.heightScale = heightScale
        self.lineNumerator = lineNumerator
        self.lineDenominator = lineDenominator
        self.sampleNumerator = sampleNumerator
        self.sampleDenominator = sampleDenominator
    }

    static let scalarKeys = [
        "LINE_OFF", "SAMP_OFF", "LAT_OFF", "LONG_OFF", "HEIGHT_OFF",
        "LINE_SCALE", "SAMP_SCALE", "LAT_SCALE", "LONG_SCALE", "HEIGHT_SCALE",
    ]
    static let polynomialKeys = ["LINE_NUM_COEFF", "LINE_DEN_COEFF", "SAMP_NUM_COEFF", "SAMP_DEN_COEFF"]

    /// Reads GDAL's `RPC` metadata domain. `source` names the file in errors.
    public init(gdalMetadata md: [String: String], source: String) throws {
        guard !md.isEmpty else { throw RPCError.noRPC(source: source) }
        var scalars: [String: Double] = [:]
        for key in Self.scalarKeys {
            guard let text = md[key] else { throw RPCError.missingField(key, source: source) }
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw RPCError.badValue(key, text, source: source)
            }
            scalars[key] = value
        }
        var polys: [String: [Double]] = [:]
        for key in Self.polynomialKeys {
            guard let text = md[key] else { throw RPCError.missingField(key, source: source) }
            let values = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).compactMap { Double($0) }
            guard values.count == 20, values.allSatisfy(\.isFinite) else {
                throw RPCError.badValue(key, "\(values.count) numbers where 20 are needed", source: source)
            }
            polys[key] = values
        }
        for key in ["LINE_SCALE", "SAMP_SCALE", "LAT_SCALE", "LONG_SCALE", "HEIGHT_SCALE"] where scalars[key] == 0 {
            throw RPCError.badValue(key, "0 (a scale must not be zero)", source: source)
        }
        self.init(
            lineOffset: scalars["LINE_OFF"]!, sampleOffset: scalars["SAMP_OFF"]!,
            latitudeOffset: scalars["LAT_OFF"]!, longitudeOffset: scalars["LONG_OFF"]!,
            heightOffset: scalars["HEIGHT_OFF"]!, lineScale: scalars["LINE_SCALE"]!,
            sampleScale: scalars["SAMP_SCALE"]!, latitudeScale: scalars["LAT_SCALE"]!,
            longitudeScale: scalars["LONG_SCALE"]!, heightScale: scalars["HEIGHT_SCALE"]!,
            lineNumerator: polys["LINE_NUM_COEFF"]!, lineDenominator: polys["LINE_DEN_COEFF"]!,
            sampleNumerator: polys["SAMP_NUM_COEFF"]!, sampleDenominator: polys["SAMP_DEN_COEFF"]!)
    }

    /// The 90 values in RPC00B order: the ten scalars of `scalarKeys`, then the four polynomials.
    public var allValues: [Double] {
        [lineOffset, sampleOffset, latitudeOffset, longitudeOffset, heightOffset,
         lineScale, sampleScale, latitudeScale, longitudeScale, heightScale]
            + lineNumerator + lineDenominator + sampleNumerator + sampleDenominator
    }

    /// GDAL `RPC` metadata domain items, full double precision, for writing into a GeoTIFF.
    public var gdalMetadata: [String: String] {
        func text(_ v: Double) -> String { "\(v)" }
        let scalars = [lineOffset, sampleOffset, latitudeOffset, longitudeOffset, heightOffset,
                       lineScale, sampleScale, latitudeScale, longitudeScale, heightScale]
        var md = Dictionary(uniqueKeysWithValues: zip(Self.scalarKeys, scalars.map(text)))
        for (key, poly) in zip(Self.polynomialKeys, [lineNumerator, lineDenominator, sampleNumerator, sampleDenominator]) {
            md[key] = poly.map(text).joined(separator: " ")
        }
        md["ERR_BIAS"] = "-1"
        md["ERR_RAND"] = "-1"
        return md
    }
}
