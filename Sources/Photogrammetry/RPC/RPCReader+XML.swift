import Foundation

/// Readers of XML RPC files: DIMAP v2 (Pléiades 1A/1B, SPOT 6/7 `RPC_*.XML`), Pléiades Neo,
/// DIMAP v1.4 (`PHRDIMAP_*.XML`) and WorldView (`isd/RPB`). Each converts to 0-based pixel centres.
enum RPCXMLReader {
    static func read(_ root: XMLNode, source: String) throws -> RPCModel {
        switch root.name {
        case "Dimap_Document", "PHR_Dimap_Document":
            if let rfm = root.find("Rational_Function_Model")?.child("Global_RFM") {
                if rfm.child("ImagetoGround_Values") != nil || rfm.child("GroundtoImage_Values") != nil {
                    return try readNeo(rfm, source: source)
                }
                return try readDimapV2(rfm, source: source)
            }
            if let rfm = root.find("Rational_Sensor_Model")?.child("Global_RFM") {
                return try readDimapV1(rfm, source: source)
            }
            throw RPCError.noRPC(source: source)
        case "isd":
            guard let image = root.path("RPB/IMAGE") else { throw RPCError.noRPC(source: source) }
            return try readWorldView(image, source: source)
        default:
            throw RPCError.unsupportedFormat(
                source: source, reason: "XML root <\(root.name)> is none of DIMAP (Dimap_Document) or WorldView (isd)")
        }
    }

    // MARK: helpers

    static func number(_ node: XMLNode?, _ name: String, source: String) throws -> Double {
        guard let n = node?.child(name) else { throw RPCError.missingField(name, source: source) }
        guard let v = Double(n.trimmedText), v.isFinite else { throw RPCError.badValue(name, n.trimmedText, source: source) }
        return v
    }

    /// Twenty coefficients `<PREFIX_1>`...`<PREFIX_20>` (1-based term numbers).
    static func terms(_ node: XMLNode?, _ prefix: String, source: String) throws -> [Double] {
        try (1...20).map { try number(node, "\(prefix)_\($0)", source: source) }
    }

    static func numbers(_ text: String, count: Int, field: String, source: String) throws -> [Double] {
        let values = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).map { Double($0) }
        guard values.count == count, values.allSatisfy({ $0?.isFinite == true }) else {
            throw RPCError.badValue(field, "\(values.count) numbers where \(count) are needed", source: source)
        }
        return values.map { $0! }
    }

    static func requireNonZeroScales(_ c: RPCCoefficients, source: String) throws {
        let scales = [("LINE_SCALE", c.lineScale), ("SAMP_SCALE", c.sampleScale), ("LAT_SCALE", c.latitudeScale),
                      ("LONG_SCALE", c.longitudeScale), ("HEIGHT_SCALE", c.heightScale)]
        for (key, value) in scales where value == 0 {
            throw RPCError.badValue(key, "0 (a scale must not be zero)", source: source)
        }
    }

    /// The direct model (col, row, h) -> (lon, lat) sharing the inverse model's normalisation.
    static func directMap(_ c: RPCCoefficients, lonNum: [Double], lonDen: [Double], latNum: [Double], latDen: [Double]) -> RPCRationalMap {
        RPCRationalMap(
            uNumerator: lonNum, uDenominator: lonDen, vNumerator: latNum, vDenominator: latDen,
            inputOffset: SIMD3(c.sampleOffset, c.lineOffset, c.heightOffset),
            inputScale: SIMD3(c.sampleScale, c.lineScale, c.heightScale),
            outputOffset: SIMD2(c.longitudeOffset, c.latitudeOffset),
            outputScale: SIMD2(c.longitudeScale, c.latitudeScale))
    }

    // MARK: formats

    /// The RPC00B (ground to image) model of a DIMAP `RFM_Validity` block (offsets and scales) and
    /// a block of `LINE_/SAMP_NUM/DEN_COEFF_1...20`; `pixelOrigin` is the file's first pixel
    /// centre (1 for DIMAP v1/v2, 0 for Pléiades Neo), subtracted from the image offsets.
    static func inverseModel(
        validity v: XMLNode?, polynomials inverse: XMLNode?, pixelOrigin: Double, source: String
    ) throws -> RPCCoefficients {
        let c = RPCCoefficients(
            lineOffset: try number(v, "LINE_OFF", source: source) - pixelOrigin,
            sampleOffset: try number(v, "SAMP_OFF", source: source) - pixelOrigin,
            latitudeOffset: try number(v, "LAT_OFF", source: source),
            longitudeOffset: try number(v, "LONG_OFF", source: source),
            heightOffset: try number(v, "HEIGHT_OFF", source: source),
            lineScale: try number(v, "LINE_SCALE", source: source),
            sampleScale: try number(v, "SAMP_SCALE", source: source),
            latitudeScale: try number(v, "LAT_SCALE", source: source),
            longitudeScale: try number(v, "LONG_SCALE", source: source),
            heightScale: try number(v, "HEIGHT_SCALE", source: source),
            lineNumerator: try terms(inverse, "LINE_NUM_COEFF", source: source),
            lineDenominator: try terms(inverse, "LINE_DEN_COEFF", source: source),
            sampleNumerator: try terms(inverse, "SAMP_NUM_COEFF", source: source),
            sampleDenominator: try terms(inverse, "SAMP_DEN_COEFF", source: source))
        try requireNonZeroScales(c, source: source)
        return c
    }

    /// DIMAP v2: `Direct_Model` (lon = SAMP_*, lat = LINE_*, of normalised col, row, h),
    /// `Inverse_Model` (RPC00B), `RFM_Validity` offsets and scales. Offsets count from 1.
    static func readDimapV2(_ rfm: XMLNode, source: String) throws -> RPCModel {
        let v = rfm.child("RFM_Validity")
        let inverse = rfm.child("Inverse_Model")
        guard inverse != nil else { throw RPCError.missingField("Inverse_Model", source: source) }
        let c = try inverseModel(validity: v, polynomials: inverse, pixelOrigin: 1, source: source)
        var direct: RPCRationalMap?
        if let d = rfm.child("Direct_Model"), d.child("SAMP_NUM_COEFF_1") != nil {
            direct = directMap(
                c, lonNum: try terms(d, "SAMP_NUM_COEFF", source: source), lonDen: try terms(d, "SAMP_DEN_COEFF", source: source),
                latNum: try terms(d, "LINE_NUM_COEFF", source: source), latDen: try terms(d, "LINE_DEN_COEFF", source: source))
        }
        return RPCModel(coefficients: c, direct: direct, source: source, format: .dimapV2)
    }

    /// Pléiades Neo: `ImagetoGround_Values` (LON_*/LAT_*) and `GroundtoImage_Values` (LINE_*/SAMP_*);
    /// offsets are already 0-based pixel centres (rpcm 1.4.10's `read_rpc_xml_pleiades_neo` and
    /// shareloc 0.3.0's DIMAP reader do not subtract 1 for Neo either).
    static func readNeo(_ rfm: XMLNode, source: String) throws -> RPCModel {
        let v = rfm.child("RFM_Validity")
        guard let inverse = rfm.child("GroundtoImage_Values") else {
            throw RPCError.missingField("GroundtoImage_Values", source: source)
        }
        let c = try inverseModel(validity: v, polynomials: inverse, pixelOrigin: 0, source: source)
        var direct: RPCRationalMap?
        if let d = rfm.child("ImagetoGround_Values") {
            direct = directMap(
                c, lonNum: try terms(d, "LON_NUM_COEFF", source: source), lonDen: try terms(d, "LON_DEN_COEFF", source: source),
                latNum: try terms(d, "LAT_NUM_COEFF", source: source), latDen: try terms(d, "LAT_DEN_COEFF", source: source))
        }
        return RPCModel(coefficients: c, direct: direct, source: source, format: .pleiadesNeo)
    }

    /// DIMAP v1.4: `F_LON`, `F_LAT` (direct) and `F_COL`, `F_ROW` (inverse) hold 40 numbers each
    /// (20 numerator then 20 denominator terms, RPC00B order); `RFM_Validity/{Lon,Lat,Alt,Col,Row}`
    /// hold A = scale and B = offset. Col/Row offsets count from 1.
    static func readDimapV1(_ rfm: XMLNode, source: String) throws -> RPCModel {
        let v = rfm.child("RFM_Validity")
        func scaleOffset(_ name: String) throws -> (Double, Double) {
            guard let n = v?.child(name) else { throw RPCError.missingField("RFM_Validity/\(name)", source: source) }
            return (try number(n, "A", source: source), try number(n, "B", source: source))
        }
        func forty(_ path: String) throws -> [Double] {
            guard let n = rfm.path(path) else { throw RPCError.missingField(path, source: source) }
            return try numbers(n.trimmedText, count: 40, field: path, source: source)
        }
        let (lonS, lonO) = try scaleOffset("Lon"), (latS, latO) = try scaleOffset("Lat")
        let (hS, hO) = try scaleOffset("Alt"), (colS, colO) = try scaleOffset("Col"), (rowS, rowO) = try scaleOffset("Row")
        let fCol = try forty("Inverse_Model/F_COL"), fRow = try forty("Inverse_Model/F_ROW")
        let c = RPCCoefficients(
            lineOffset: rowO - 1, sampleOffset: colO - 1, latitudeOffset: latO, longitudeOffset: lonO, heightOffset: hO,
            lineScale: rowS, sampleScale: colS, latitudeScale: latS, longitudeScale: lonS, heightScale: hS,
            lineNumerator: Array(fRow[0..<20]), lineDenominator: Array(fRow[20..<40]),
            sampleNumerator: Array(fCol[0..<20]), sampleDenominator: Array(fCol[20..<40]))
        try requireNonZeroScales(c, source: source)
        var direct: RPCRationalMap?
        if rfm.path("Direct_Model/F_LON") != nil {
            let fLon = try forty("Direct_Model/F_LON"), fLat = try forty("Direct_Model/F_LAT")
            direct = directMap(c, lonNum: Array(fLon[0..<20]), lonDen: Array(fLon[20..<40]),
                               latNum: Array(fLat[0..<20]), latDen: Array(fLat[20..<40]))
        }
        return RPCModel(coefficients: c, direct: direct, source: source, format: .dimapV1)
    }

    /// WorldView `isd/RPB/IMAGE`: LINEOFFSET ... and `LINENUMCOEFList/LINENUMCOEF` (20 numbers);
    /// 0-based pixel centres.
    static func readWorldView(_ image: XMLNode, source: String) throws -> RPCModel {
        func poly(_ name: String) throws -> [Double] {
            guard let n = image.path("\(name)List/\(name)") else { throw RPCError.missingField(name, source: source) }
            return try numbers(n.trimmedText, count: 20, field: name, source: source)
        }
        let c = RPCCoefficients(
            lineOffset: try number(image, "LINEOFFSET", source: source),
            sampleOffset: try number(image, "SAMPOFFSET", source: source),
            latitudeOffset: try number(image, "LATOFFSET", source: source),
            longitudeOffset: try number(image, "LONGOFFSET", source: source),
            heightOffset: try number(image, "HEIGHTOFFSET", source: source),
            lineScale: try number(image, "LINESCALE", source: source),
            sampleScale: try number(image, "SAMPSCALE", source: source),
            latitudeScale: try number(image, "LATSCALE", source: source),
            longitudeScale: try number(image, "LONGSCALE", source: source),
            heightScale: try number(image, "HEIGHTSCALE", source: source),
            lineNumerator: try poly("LINENUMCOEF"), lineDenominator: try poly("LINEDENCOEF"),
            sampleNumerator: try poly("SAMPNUMCOEF"), sampleDenominator: try poly("SAMPDENCOEF"))
        try requireNonZeroScales(c, source: source)
        return RPCModel(coefficients: c, source: source, format: .worldView)
    }
}
