/// A point seen in two images: (x1, y1) in the reference, (x2, y2) in the secondary image, in
/// RPC image coordinates (0-based pixel centres). `height` is the ellipsoidal height of the
/// ground point when the correspondence is virtual (made with the RPCs), NaN otherwise.
public struct PointCorrespondence: Sendable, Equatable {
    public var x1, y1, x2, y2: Double
    public var height: Double

    public init(x1: Double, y1: Double, x2: Double, y2: Double, height: Double = .nan) {
        (self.x1, self.y1, self.x2, self.y2, self.height) = (x1, y1, x2, y2, height)
    }

    public static func == (l: PointCorrespondence, r: PointCorrespondence) -> Bool {
        l.x1 == r.x1 && l.y1 == r.y1 && l.x2 == r.x2 && l.y2 == r.y2
            && (l.height == r.height || (l.height.isNaN && r.height.isNaN))
    }
}
