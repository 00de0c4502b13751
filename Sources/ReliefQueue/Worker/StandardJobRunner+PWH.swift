import Foundation
import Photogrammetry

extension StandardJobRunner {
    /// A `pwh` job: `PWHRecipe.run` into the attempt's staging folder, then the outputs asked for
    /// (`ortho`: the COG, `stac`: its STAC Item) renamed into the job's output folder. Errors in
    /// the request or the product (`PWHError`) are permanent; others (I/O) are retried.
    func runPWH(_ r: PWHRequest, folder: String, context: JobContext) throws -> String? {
        let staging = try OutputStaging(outputRoot: confinement.outputRoot, jobID: context.job.id, attempt: context.job.attempts)
        defer { staging.removeLeftovers() }
        context.reportProgress(0, "inputs")
        var request = Photogrammetry.PWHRequest(product: r.product, outputFolder: staging.folder)
        request.dem = r.dem
        request.geoid = r.geoid
        request.threads = threads
        let result: PWHResult
        do {
            result = try PWHRecipe.run(request, progress: { p in context.reportProgress(95 * p.fraction, p.step.rawValue) },
                                       isCancelled: context.isCancelled)
        } catch let e as PWHError {
            if case .cancelled = e { throw JobFailure.cancelled }
            throw JobFailure.permanent("pwh: \(e)")
        } catch {
            throw JobFailure.transient("pwh: \(error)")
        }
        context.reportProgress(97, "publish")
        var names: [String] = []
        if r.outputs.contains("ortho") { names.append((result.image as NSString).lastPathComponent) }
        if r.outputs.contains("stac") { names.append((result.item as NSString).lastPathComponent) }
        let paths = try staging.publish(names, to: folder)
        return #"{"outputs":["# + paths.map { "\"\($0)\"" }.joined(separator: ",")
            + #"],"width":\#(result.width),"height":\#(result.height),"epsg":\#(result.epsg),"validFraction":\#(result.validFraction)}"#
    }
}
