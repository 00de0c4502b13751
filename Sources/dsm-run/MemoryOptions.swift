import ArgumentParser

/// A memory size as every command takes it: a number with K, M or G (binary units: 1.5G =
/// 1.5 · 2^30 bytes, case-insensitive), or a bare number of MiB (`512` = `512M`).
struct MemorySize: CustomStringConvertible, Sendable {
    /// 1 MiB to 64 TiB: below, not one tile fits; above, no machine.
    static let range: ClosedRange<Int> = 1 << 20...64 << 40

    var bytes: Int
    /// As written (or the default's text), for messages.
    var description: String

    init(_ text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var number = Substring(t), factor = 0x1p20
        if let last = t.last, let unit = units[last] { number = t.dropLast(); factor = unit }
        guard let value = Double(number), value.isFinite, value > 0 else {
            throw ValueError("a size such as 1.5G or 512M (K, M, G, T: binary units; a bare number is MiB)")
        }
        guard value * factor >= Double(Self.range.lowerBound), value * factor <= Double(Self.range.upperBound) else {
            throw ValueError("a size from 1M to 64T (a bare number is MiB)")
        }
        bytes = Int(value * factor)
        description = text
    }

    @Sendable static func parse(_ text: String) throws -> MemorySize { try MemorySize(text) }
}

/// A command's memory budget and what `--memory` means for it.
protocol MemoryBudget {
    static var defaultSize: String { get }
    /// What the budget bounds (the option's help).
    static var help: String { get }
}

/// `--memory`, with one size syntax in every command (`MemorySize`).
struct MemoryOptions<Budget: MemoryBudget>: ParsableArguments {
    @Option(help: ArgumentHelp(Budget.help + " A size such as 1.5G or 512M; a bare number is MiB (default \(Budget.defaultSize)).",
                               valueName: "size"),
            transform: MemorySize.parse)
    var memory: MemorySize?

    /// The size given, or the command's default.
    var size: MemorySize { memory ?? (try! MemorySize(Budget.defaultSize)) }
}

/// `dsm`'s budget: the whole run.
enum DSMMemory: MemoryBudget {
    static let defaultSize = "1.5G"
    static let help = "Peak memory to stay under: smaller tiles and fewer at once when needed."
}

/// `match`'s budget: one tile's volumes.
enum MatchMemory: MemoryBudget {
    static let defaultSize = "512M"
    static let help = "Memory budget for one tile's volumes (coarse to fine: also one block's images and maps)."
}
