/// Why the sparse analysis stops a run; each case names the images and the numbers measured.
public enum SparseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The matches disagree with the RPCs by more than any pointing error: a wrong RPC, an RPC
    /// of another image, or images of another place.
    case rpcMisfit(reference: String, secondary: String, misfit: Double, spread: Double, matches: Int, limit: Double)
    /// Both views look from the same direction: no parallax, no heights (identical images or
    /// models).
    case noStereo(reference: String, secondary: String, convergence: Double)
    /// An image has no data over the overlap.
    case noData(image: String, nodataShare: Double)

    public var description: String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        switch self {
        case .rpcMisfit(let reference, let secondary, let misfit, let spread, let matches, let limit):
            return "the RPCs of \(reference) and \(secondary) disagree with their images: \(matches) sparse matches lie up to "
                + "\(f(misfit)) px from their epipolar lines and stray \(f(spread)) px (NMAD) around the best translation, which a "
                + "pointing error (up to \(f(limit)) px, about 0.2 px of spread) cannot explain; check that each image carries its "
                + "own RPC"
        case .noStereo(let reference, let secondary, let convergence):
            return "\(reference) and \(secondary) see the scene from the same direction (convergence "
                + String(format: "%.3f", convergence) + "°): no parallax, no heights; are they the same image?"
        case .noData(let image, let share):
            return "\(image) has no data over the overlap (\(f(100 * share)) % nodata)"
        }
    }
}
