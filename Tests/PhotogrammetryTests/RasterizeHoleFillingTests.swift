import Photogrammetry
import Raster
import Testing

/// Small-hole filling on synthetic DSMs with known answers.
@Suite("Rasterize: small-hole filling")
struct RasterizeHoleFillingTests {
    /// z = x + 2y on a w x h image, with NaN at the given cells.
    static func ramp(width: Int, height: Int, holes: [(Int, Int)]) -> ImageBuffer<Float> {
        var image = ImageBuffer<Float>(width: width, height: height)
        for y in 0..<height { for x in 0..<width { image[x, y] = Float(x + 2 * y) } }
        for (x, y) in holes { image[x, y] = .nan }
        return image
    }

    @Test("a one-cell hole gets the mean of its 8 neighbours (exact on a plane)")
    func oneCell() {
        var image = Self.ramp(width: 5, height: 5, holes: [(2, 2)])
        #expect(fillSmallHoles(&image, maxArea: 1) == 1)
        #expect(image[2, 2] == 6)
    }

    @Test("a 3x3 hole in a constant DSM fills with the constant, ring by ring")
    func constantBlock() {
        var image = ImageBuffer<Float>(width: 9, height: 9, filledWith: 42)
        for y in 3...5 { for x in 3...5 { image[x, y] = .nan } }
        #expect(fillSmallHoles(&image, maxArea: 9) == 9)
        #expect(image.storage.allSatisfy { $0 == 42 })
    }

    @Test("a hole in a plane fills within the range of its border, symmetric holes symmetrically")
    func planeBlock() {
        let holes = (3...5).flatMap { y in (3...5).map { x in (x, y) } }
        var image = Self.ramp(width: 9, height: 9, holes: holes)
        fillSmallHoles(&image, maxArea: 9)
        // Border values range over x + 2y for the ring around [3, 5]^2: 2 + 4 ... 6 + 12.
        for (x, y) in holes { #expect(image[x, y] >= 6 && image[x, y] <= 18) }
        // The centre sees the first ring only, itself symmetric about (4, 4): exact plane value.
        #expect(abs(image[4, 4] - 12) < 1e-5)
    }

    @Test("holes larger than maxArea stay NaN; 4-connected cells are one hole")
    func largeHoles() {
        var image = Self.ramp(width: 8, height: 8, holes: [(1, 1), (2, 1), (5, 5)])
        // (1, 1) and (2, 1) share a side: one hole of 2 cells; (5, 5) a hole of 1.
        var copy = image
        #expect(fillSmallHoles(&copy, maxArea: 1) == 1)
        #expect(copy[1, 1].isNaN && copy[2, 1].isNaN && !copy[5, 5].isNaN)
        #expect(fillSmallHoles(&image, maxArea: 2) == 3)
        #expect(!image[1, 1].isNaN && !image[2, 1].isNaN)
        var untouched = Self.ramp(width: 4, height: 4, holes: [(1, 1)])
        #expect(fillSmallHoles(&untouched, maxArea: 0) == 0 && untouched[1, 1].isNaN)
    }

    @Test("holes touching at a corner are separate and never use each other's values")
    func diagonalHoles() {
        var image = Self.ramp(width: 5, height: 5, holes: [(1, 1), (2, 2)])
        #expect(fillSmallHoles(&image, maxArea: 1) == 2)
        // (1, 1): its 7 valid neighbours 0 1 2 2 4 4 5, not (2, 2), even once (2, 2) is filled.
        #expect(image[1, 1] == Float(18.0 / 7.0))
        // (2, 2): 4 5 5 7 7 8 9, not (1, 1), although (1, 1) was filled first.
        #expect(image[2, 2] == Float(45.0 / 7.0))
    }

    @Test("a sparse cloud's scattered empty cells are small holes, filled")
    func scattered() {
        var image = ImageBuffer<Float>(width: 6, height: 6, filledWith: 3)
        for y in 0..<6 { for x in 0..<6 where (x + y) % 2 == 0 && x > 0 && y > 0 && x < 5 && y < 5 { image[x, y] = .nan } }
        #expect(fillSmallHoles(&image, maxArea: 1) == 8)
        #expect(image.storage.allSatisfy { $0 == 3 })
    }

    @Test("holes on a closed edge are filled, on an open edge (tile inside a grid) left alone")
    func edges() {
        var closed = Self.ramp(width: 5, height: 5, holes: [(0, 2)])
        #expect(fillSmallHoles(&closed, maxArea: 4) == 1)
        // Neighbours (0, 1), (1, 1), (1, 2), (0, 3), (1, 3): 2 3 5 6 7 -> 23 / 5.
        #expect(closed[0, 2] == 4.6)
        var open = Self.ramp(width: 5, height: 5, holes: [(0, 2)])
        #expect(fillSmallHoles(&open, maxArea: 4, openEdges: .left) == 0 && open[0, 2].isNaN)
        var otherSide = Self.ramp(width: 5, height: 5, holes: [(0, 2)])
        #expect(fillSmallHoles(&otherSide, maxArea: 4, openEdges: [.right, .top, .bottom]) == 1)
        let tileEdges = OpenEdges(window: Window(x: 0, y: 3, width: 4, height: 2), gridWidth: 10, gridHeight: 5)
        let expected: OpenEdges = [.top, .right]
        #expect(tileEdges.rawValue == expected.rawValue)
    }

    @Test("an image with no valid cell is left as it is")
    func allNaN() {
        var image = ImageBuffer<Float>(width: 2, height: 2, filledWith: .nan)
        #expect(fillSmallHoles(&image, maxArea: 10) == 0)
        #expect(image.storage.allSatisfy { $0.isNaN })
    }
}
