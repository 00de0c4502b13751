/// How well a fitted rational map reproduces its samples, in output units (pixels for a
/// ground-to-image fit, degrees for an image-to-ground fit).
public struct RPCFitReport: Sendable, Equatable, CustomStringConvertible {
    public var maxResidual: Double
    public var rmsResidual: Double
    public var sampleCount: Int
    public var description: String { "\(sampleCount) samples, max residual \(maxResidual), RMS \(rmsResidual)" }
}

/// Options of the rational least-squares fit.
public struct RPCFitOptions: Sendable {
    /// Tikhonov weight on the normalised coefficients, relative to the number of samples
    /// (0 disables it). Keeps the 39 unknowns determined when the grid is thin in one dimension.
    public var regularization: Double = 1e-12
    /// Reweighting passes (each divides the linearised equations by the previous denominator).
    public var iterations: Int = 6
    public init(regularization: Double = 1e-12, iterations: Int = 6) {
        self.regularization = regularization
        self.iterations = iterations
    }
}

extension RPCRationalMap {
    /// Fits u = Pu/Qu and v = Pv/Qv (20 + 19 unknowns each, Qu[0] = Qv[0] = 1) to samples by
    /// linearised, reweighted, regularised least squares (Householder QR):
    ///
    ///     P(x̂) - û Q'(x̂) = û,   Q = 1 + Q',   rows weighted by 1 / Q_previous(x̂)
    ///
    /// (the classic RPC fit, e.g. Tao & Hu 2001, "A comprehensive study of the rational function
    /// model for photogrammetric processing", PE&RS 67(12), with Tikhonov regularisation).
    /// Inputs and outputs are normalised to [-1, 1] by their bounding boxes.
    ///
    /// - Returns: the map and its residuals on the samples (output units).
    /// - Throws: `RPCError.fittingFailed` with fewer than 39 samples or a degenerate grid.
    /// - Complexity: O(iterations · N · 39²) time, O(N · 39) memory.
    public static func fit(
        inputs: [SIMD3<Double>], outputs: [SIMD2<Double>], options: RPCFitOptions = RPCFitOptions()
    ) throws -> (map: RPCRationalMap, report: RPCFitReport) {
        let count = inputs.count
        guard count == outputs.count else {
            throw RPCError.fittingFailed("\(inputs.count) inputs for \(outputs.count) outputs")
        }
        guard count >= 39 else { throw RPCError.fittingFailed("\(count) samples, at least 39 are needed") }
        let lo3 = inputs.reduce(inputs[0]) { pointwiseMin($0, $1) }, hi3 = inputs.reduce(inputs[0]) { pointwiseMax($0, $1) }
        let lo2 = outputs.reduce(outputs[0]) { pointwiseMin($0, $1) }, hi2 = outputs.reduce(outputs[0]) { pointwiseMax($0, $1) }
        let inOffset = (lo3 + hi3) / 2
        // A flat input dimension (e.g. one height) gets scale 1: its monomials are then constant.
        let inScale = SIMD3<Double>.one.replacing(with: (hi3 - lo3) / 2, where: hi3 .> lo3)
        let outOffset = (lo2 + hi2) / 2
        let outScale = SIMD2<Double>.one.replacing(with: (hi2 - lo2) / 2, where: hi2 .> lo2)
        let normalisedInputs = inputs.map { ($0 - inOffset) / inScale }
        let monomials = normalisedInputs.map { rpcMonomialValues($0.x, $0.y, $0.z) }
        let uTargets = outputs.map { ($0.x - outOffset.x) / outScale.x }
        let vTargets = outputs.map { ($0.y - outOffset.y) / outScale.y }
        let (pu, qu) = try fitRational(monomials: monomials, targets: uTargets, options: options)
        let (pv, qv) = try fitRational(monomials: monomials, targets: vTargets, options: options)
        let map = RPCRationalMap(
            uNumerator: pu, uDenominator: qu, vNumerator: pv, vDenominator: qv,
            inputOffset: inOffset, inputScale: inScale, outputOffset: outOffset, outputScale: outScale)
        var maxResidual = 0.0, sum2 = 0.0
        for (x, y) in zip(inputs, outputs) {
            let f = map(x.x, x.y, x.z)
            let r2 = (f.u - y.x) * (f.u - y.x) + (f.v - y.y) * (f.v - y.y)
            guard r2.isFinite else { throw RPCError.fittingFailed("the fitted map is not finite at \(x)") }
            maxResidual = max(maxResidual, r2.squareRoot())
            sum2 += r2
        }
        return (map, RPCFitReport(maxResidual: maxResidual, rmsResidual: (sum2 / Double(count)).squareRoot(), sampleCount: count))
    }

    /// One output: 20 numerator + 19 denominator coefficients.
    private static func fitRational(monomials: [[Double]], targets: [Double], options: RPCFitOptions)
        throws -> ([Double], [Double])
    {
        let n = 39, count = targets.count
        let lambda = (options.regularization * Double(count)).squareRoot()
        let rows = count + (lambda > 0 ? n : 0)
        var weights = [Double](repeating: 1, count: count)
        var best: (p: [Double], q: [Double], error: Double)?
        for _ in 0..<max(1, options.iterations) {
            var a = [Double](repeating: 0, count: rows * n), b = [Double](repeating: 0, count: rows)
            for i in 0..<count {
                let w = weights[i], m = monomials[i], t = targets[i]
                for j in 0..<20 { a[i + j * rows] = w * m[j] }
                for j in 1..<20 { a[i + (19 + j) * rows] = -w * t * m[j] }
                b[i] = w * t
            }
            if lambda > 0 { for j in 0..<n { a[count + j + j * rows] = lambda } }
            guard let x = solveLeastSquares(&a, &b, rows: rows, columns: n) else {
                throw RPCError.fittingFailed("the grid does not determine the 39 coefficients (rank-deficient)")
            }
            let p = Array(x[0..<20]), q = [1] + Array(x[20..<39])
            var error = 0.0
            for i in 0..<count {
                let m = monomials[i]
                var pv = 0.0, qv = 0.0
                for j in 0..<20 { pv += p[j] * m[j]; qv += q[j] * m[j] }
                weights[i] = 1 / qv
                error = max(error, abs(pv / qv - targets[i]))
            }
            guard error.isFinite else { break }
            if let b = best, b.error <= error { break }
            best = (p, q, error)
        }
        guard let best else { throw RPCError.fittingFailed("the fit did not give finite values") }
        return (best.p, best.q)
    }
}

/// The 20 RPC00B monomials of one normalised point (see `rpcMonomials`).
func rpcMonomialValues(_ x: Double, _ y: Double, _ z: Double) -> [Double] {
    let xx = x * x, yy = y * y, zz = z * z, xy = x * y, xz = x * z, yz = y * z
    return [1, x, y, z, xy, xz, yz, xx, yy, zz, xy * z, xx * x, x * yy, x * zz, xx * y, yy * y, y * zz, xx * z, yy * z, zz * z]
}

extension RPCModel {
    /// Fits a ground-to-image RPC to correspondences (lon, lat, h) -> (col, row), e.g. to
    /// re-express a model for a crop, a rescaled image or an epipolar image.
    /// - Returns: the model (with no direct model; localisation uses a fitted approximation and
    ///   Newton iterations) and the residuals in pixels.
    public static func fit(
        ground: [SIMD3<Double>], image: [SIMD2<Double>], source: String = "fitted RPC",
        options: RPCFitOptions = RPCFitOptions()
    ) throws -> (model: RPCModel, report: RPCFitReport) {
        let (map, report) = try RPCRationalMap.fit(inputs: ground, outputs: image, options: options)
        let c = map.coefficients
        let rpc = RPCCoefficients(
            lineOffset: map.outputOffset.y, sampleOffset: map.outputOffset.x,
            latitudeOffset: map.inputOffset.y, longitudeOffset: map.inputOffset.x, heightOffset: map.inputOffset.z,
            lineScale: map.outputScale.y, sampleScale: map.outputScale.x,
            latitudeScale: map.inputScale.y, longitudeScale: map.inputScale.x, heightScale: map.inputScale.z,
            lineNumerator: Array(c[40..<60]), lineDenominator: Array(c[60..<80]),
            sampleNumerator: Array(c[0..<20]), sampleDenominator: Array(c[20..<40]))
        return (RPCModel(coefficients: rpc, source: source, format: .memory), report)
    }

    /// A 3-D grid of correspondences of this model: `columns` x `rows` image points spread
    /// over `imageWindow` (0-based pixel centres), each localised at `heights` evenly spaced
    /// heights of `heightRange`.
    /// - Throws: a localisation error when a grid point does not converge.
    public func correspondenceGrid(
        columnRange: ClosedRange<Double>, rowRange: ClosedRange<Double>, heightRange: ClosedRange<Double>,
        columns: Int = 21, rows: Int = 21, heights: Int = 11
    ) throws -> (ground: [SIMD3<Double>], image: [SIMD2<Double>]) {
        func steps(_ r: ClosedRange<Double>, _ n: Int) -> [Double] {
            n <= 1 ? [(r.lowerBound + r.upperBound) / 2]
                : (0..<n).map { r.lowerBound + (r.upperBound - r.lowerBound) * Double($0) / Double(n - 1) }
        }
        var ground: [SIMD3<Double>] = [], image: [SIMD2<Double>] = []
        for h in steps(heightRange, heights) {
            for row in steps(rowRange, rows) {
                for col in steps(columnRange, columns) {
                    let g = try localization(column: col, row: row, height: h)
                    ground.append(SIMD3(g.longitude, g.latitude, h))
                    image.append(SIMD2(col, row))
                }
            }
        }
        return (ground, image)
    }

    /// Re-expresses this model for another image geometry: `transform` maps a pixel of this
    /// model's image (0-based centres) to the new image. The fit uses a grid over `columnRange`
    /// x `rowRange` of this image and `heightRange`.
    public func refitted(
        columnRange: ClosedRange<Double>, rowRange: ClosedRange<Double>, heightRange: ClosedRange<Double>,
        transform: (SIMD2<Double>) -> SIMD2<Double>, options: RPCFitOptions = RPCFitOptions()
    ) throws -> (model: RPCModel, report: RPCFitReport) {
        let grid = try correspondenceGrid(columnRange: columnRange, rowRange: rowRange, heightRange: heightRange)
        return try RPCModel.fit(ground: grid.ground, image: grid.image.map(transform), source: source + " (refitted)", options: options)
    }

    /// The first guess for localisation of a model without a direct model: a direct model fitted
    /// to a 11 x 11 x 5 ground grid of the validity domain projected through the inverse model.
    /// nil when that fit fails (localisation then starts from the domain centre).
    static func approximateDirectModel(_ projector: RPCRationalMap) -> RPCRationalMap? {
        var inputs: [SIMD3<Double>] = [], outputs: [SIMD2<Double>] = []
        let o = projector.inputOffset, s = projector.inputScale
        for k in 0..<5 {
            for j in 0...10 {
                for i in 0...10 {
                    let n = SIMD3(Double(i) / 5 - 1, Double(j) / 5 - 1, Double(k) / 2 - 1)
                    let g = o + n * s
                    let p = projector(g.x, g.y, g.z)
                    guard p.u.isFinite, p.v.isFinite else { continue }
                    inputs.append(SIMD3(p.u, p.v, g.z))
                    outputs.append(SIMD2(g.x, g.y))
                }
            }
        }
        return try? RPCRationalMap.fit(inputs: inputs, outputs: outputs, options: RPCFitOptions(iterations: 3)).map
    }
}
