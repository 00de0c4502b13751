import Foundation
import Testing
@testable import ReliefQueue

/// An ROI's numbers are range checked before any sum or product is formed from them: a request
/// at the Int64 edges is refused by the queue's validation (the worker never sees it), not a trap.
@Suite("Requests: ROI bounds")
struct ROIBoundsTests {
    static func validate(_ roi: [Int]) throws {
        let r = DSMRequest(images: [.init(path: "a.tif"), .init(path: "b.tif")], roi: roi, height: .init(value: 340, margin: 40), output: "x")
        try r.validateValues()
    }

    @Test("refused", arguments: [
        [9_223_372_036_854_774_784, 0, 200_000, 200], [0, Int.max, 1, 1], [Int.min, 0, 10, 10], [200_001, 0, 10, 10],
        [0, 0, Int.max, 2], [0, 0, 200_001, 1], [0, 0, 100_000, 100_000], [0, 0, 0, 10],
    ])
    func refused(roi: [Int]) {
        #expect(throws: RequestError.self) { try Self.validate(roi) }
    }

    @Test func largestAccepted() throws {
        try Self.validate([DSMRequest.maxROIOrigin, DSMRequest.maxROIOrigin, 40_000, 40_000])
    }
}
