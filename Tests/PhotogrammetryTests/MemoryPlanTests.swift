import Testing
@testable import Photogrammetry

@Suite("DSM pipeline: memory plan (--memory)")
struct MemoryPlanTests {
    /// A tile model of 1 KiB a pixel: a side-s tile needs s² KiB.
    static func bytes(_ side: Int) -> Int { side * side * 1024 }
    static let mib = 1 << 20

    @Test("A large budget keeps the tile side and runs as many tiles as threads")
    func roomy() throws {
        let plan = try MemoryPlan.choose(limit: 1536 * Self.mib, tileSize: 300, threads: 4, points: 1_000_000, tileBytes: Self.bytes)
        #expect(plan == MemoryPlan(tileSize: 300, workers: 4,
                                   estimatedBytes: MemoryPlan.baselineBytes + 96_000_000 + 4 * Self.bytes(300)))
        #expect(plan.estimatedBytes <= 1536 * Self.mib)
    }

    @Test("GDAL's block cache is part of the budget, and the output tiles are rasterised by as many workers as fit")
    func cacheAndRasterWorkers() throws {
        // 1000 MiB: 96 MiB baseline + 256 MiB cache leave 648 MiB, three 200 MiB output tiles (threads 4).
        let plan = try MemoryPlan.choose(limit: 1000 * Self.mib, tileSize: 300, threads: 4, points: 0,
                                         rasterizationBytes: 200 * Self.mib, cacheBytes: 256 * Self.mib) { _ in 100 * Self.mib }
        #expect(plan.rasterWorkers == 3, "\(plan)")
        // Matching: 96 + 256 + 4 x 100 MiB; rasterising: 96 + 256 + 3 x 200 MiB, the peak.
        #expect(plan.workers == 4 && plan.estimatedBytes == MemoryPlan.baselineBytes + 256 * Self.mib + 3 * 200 * Self.mib, "\(plan)")
        // Without the cache counted, four would have been planned; with a 700 MiB cache, none fits.
        #expect(try MemoryPlan.choose(limit: 1000 * Self.mib, tileSize: 300, threads: 4, points: 0,
                                      rasterizationBytes: 200 * Self.mib) { _ in 100 * Self.mib }.rasterWorkers == 4)
        #expect(throws: DSMPipelineError.self) {
            try MemoryPlan.choose(limit: 1000 * Self.mib, tileSize: 300, threads: 4, points: 0,
                                  rasterizationBytes: 200 * Self.mib, cacheBytes: 750 * Self.mib) { _ in 100 * Self.mib }
        }
    }

    /// Fixed part: 96 MiB + 96 MB of points = 187.6 MiB; a 300 px tile 87.9 MiB, 150 px 22 MiB, 75 px 5.5 MiB:
    /// 400 MiB gives 2 tiles of 300, 300 MiB 1 of 300, 250 MiB 2 of 150, 200 MiB 2 of 75.
    @Test("A tighter budget runs fewer tiles at once, then smaller tiles; the estimate stays under it", arguments: [300, 400, 250, 200])
    func tight(_ limitMiB: Int) throws {
        let limit = limitMiB * Self.mib
        let plan = try MemoryPlan.choose(limit: limit, tileSize: 300, threads: 4, points: 1_000_000, tileBytes: Self.bytes)
        #expect(plan.estimatedBytes <= limit, "\(plan)")
        let expected = [400: (300, 2), 300: (300, 1), 250: (150, 2), 200: (75, 2)][limitMiB]!
        #expect(plan.tileSize == expected.0 && plan.workers == expected.1, "\(plan)")
        // Whatever it chose, one more tile in flight (or a tile twice as large) would not fit.
        if plan.workers < 4 {
            #expect(plan.estimatedBytes + Self.bytes(plan.tileSize) > limit)
        }
    }

    @Test("A budget below the points and the smallest tile: a clear error naming --memory")
    func tooSmall() {
        #expect {
            _ = try MemoryPlan.choose(limit: 100 * Self.mib, tileSize: 300, threads: 2, points: 1_000_000, tileBytes: Self.bytes)
        } throws: { error in
            "\(error)".contains("--memory") && "\(error)".contains("too small")
        }
    }

    @Test("Sizes: 1.5G, 800M, 64k, plain bytes; junk rejected")
    func sizes() {
        #expect(parseMemorySize("1.5G") == 1_610_612_736)
        #expect(parseMemorySize("800m") == 800 << 20)
        #expect(parseMemorySize("64K") == 65536)
        #expect(parseMemorySize("123456") == 123456)
        for junk in ["", "G", "-1G", "0", "1.5GB", "1.5GiB", "lots"] { #expect(parseMemorySize(junk) == nil, "\(junk)") }
    }
}
