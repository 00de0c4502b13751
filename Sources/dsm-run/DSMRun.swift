import ArgumentParser
import Foundation
import Photogrammetry
import Raster

@main
struct DSMRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dsm-run",
        abstract: "Relief: digital surface models and derived products from Pléiades / SPOT stereo imagery.",
        subcommands: [
            InfoCommand.self, MakeSampleCommand.self, RPCCommand.self, MatchCommand.self, RasterizeCommand.self,
            DSMCommand.self, CompareCommand.self, OrthoCommand.self, ReflectanceCommand.self, PansharpenCommand.self,
            PansharpenWaldCommand.self, PWHCommand.self, SyntheticSceneCommand.self,
        ],
        defaultSubcommand: nil
    )

    static func main() {
        Console.prepare()
        main(joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
    }

    /// `--roi -50,0,10,10` as `--roi=-50,0,10,10`: the argument parser takes a value starting
    /// with '-' for an option name and says the value is missing. A token such as `-50,...`,
    /// `-1e9` or `-.5` can be no option name (none starts with a digit or a dot), so it is
    /// joined to the long option before it.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for argument in arguments {
            if out.last == "--" || out.contains("--") { out.append(argument); continue }
            let looksNumeric = argument.count > 1 && argument.hasPrefix("-")
                && (argument.dropFirst().first!.isNumber || argument.dropFirst().first == ".")
            if looksNumeric, let previous = out.last, previous.hasPrefix("--"), previous.count > 2, !previous.contains("=") {
                out[out.count - 1] = previous + "=" + argument
            } else {
                out.append(argument)
            }
        }
        return out
    }
}

/// Caps GDAL's block cache (`GDALBlockCache`): for a DSM run, within its `--memory` budget as
/// the pipeline plans it (`DSMPipeline.boundBlockCache`); for the other commands (no budget) at
/// 256 MiB unless GDAL_CACHEMAX is set, which costs no speed where tiles are read and written
/// once, in order (measured: `dsm-run ortho`, `dsm-run match`).
func boundGDALBlockCache(budget: Int? = nil) {
    if let budget { DSMPipeline.boundBlockCache(budget: budget) } else { GDALBlockCache.bound(toAtMost: 256 << 20) }
}
