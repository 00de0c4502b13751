import ArgumentParser

@main
struct DSMRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dsm-run",
        abstract: "Relief: digital surface models and derived products from Pléiades / SPOT stereo imagery.",
        subcommands: [
            InfoCommand.self, MakeSampleCommand.self, RPCCommand.self, MatchCommand.self, RasterizeCommand.self,
            DSMCommand.self, CompareCommand.self, OrthoCommand.self, ReflectanceCommand.self, PansharpenCommand.self,
            PansharpenWaldCommand.self, PWHCommand.self,
        ],
        defaultSubcommand: nil
    )
}
