import ArgumentParser
import Cluster

/// Whether the member threads pack onto one CPU at light load (see `CPUPacking`).
struct PlacementOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo,
          help: "Keep the member threads on one CPU while they use little of it, and spread them under load (cuts a light load's latency on virtual machines).")
    var cpuPacking = true

    /// What bench and serve say when the threads could not be packed.
    static let unavailableText = "not packed (this process has one CPU, or may not set its threads' CPUs)"

    func apply(to config: inout ClusterConfig) {
        config.packThreadsWhenLight = cpuPacking
    }
}
