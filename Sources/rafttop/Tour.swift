import ArgumentParser
import Cluster
import Foundation
import Logging
import TUI

/// `rafttop tour [failover]`: the guided tour of etcd's put path (or of a leader failover) in
/// simulated time, stage by stage, over the ordinary screen.
struct Tour: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "A guided tour of etcd's put path (or of a leader failover), one stage at a time.",
        discussion: "Space or n shows the next stage, b the one before, q quits. The cluster runs in simulated time; nothing touches a disk.")

    @Argument(help: "Which tour: put (the default) or failover.")
    var which: String = "put"

    @Option(help: "Members in the cluster (3 to 7).")
    var members: Int = 3

    @Option(help: "A theme name from Themes/ or a path to a theme file.")
    var theme: String = "default"

    @Option(help: "Seed for the simulated cluster.")
    var seed: UInt64 = 1

    @Option(help: "Frames per second, 1 to 60.")
    var fps: Int = 20

    func validate() throws {
        guard TourKind(rawValue: which.lowercased()) != nil else {
            throw ValidationError("no tour '\(which)': the tours are " + TourKind.allCases.map(\.rawValue).joined(separator: " and "))
        }
        guard TourDriver.memberRange.contains(members) else {
            throw ValidationError("--members must be \(TourDriver.memberRange.lowerBound) to \(TourDriver.memberRange.upperBound) for a tour")
        }
        guard (1...60).contains(fps) else { throw ValidationError("--fps must be 1 to 60") }
    }

    func run() throws {
        let kind = TourKind(rawValue: which.lowercased())!
        let logger = Logger(label: "rafttop") { _ in SwiftLogNoOpLogHandler() }
        let cluster: Cluster
        let driver: TourDriver
        do throws(TourError) {
            cluster = try TourDriver.makeCluster(members: members, seed: seed)
            driver = try TourDriver(kind: kind, cluster: cluster, ownsCluster: false)
        } catch {
            FileHandle.standardError.write(Data("rafttop tour: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let themes = ThemeCatalog(directories: ThemeCatalog.defaultDirectories())
        let controller = Controller(cluster: cluster, themes: themes, theme: .builtIn, themeName: "default", seed: seed, logger: logger)
        controller.apply(.setTheme(theme))
        controller.begin(driver, quitsAtEnd: true)
        let outcome = TUIApp.outcome(controller: controller, framesPerSecond: fps)
        let seen = driver.stops.count
        controller.stop()
        cluster.shutdown()
        if case .failure(let error) = outcome {
            FileHandle.standardError.write(Data("rafttop: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print("rafttop tour: \(seen) of \(driver.stages.count) stages of \(kind.title) seen")
    }
}
