import Cluster
import Foundation
import MVCC
import Raft
import Server
import Testing

/// A cluster that is shut down and let go frees its members and their stores: restarting a
/// member, or a whole cluster in one process, must not keep the old one's memory.
@Suite struct ShutdownReleaseTests {
    @Test(arguments: [false, true])
    func aShutDownClusterLetsGoOfItsMembers(realTime: Bool) throws {
        weak var member: Member?
        weak var cluster: Cluster?
        do {
            var config = ClusterConfig(memberCount: 3, driver: realTime ? .realTime : .simulated(seed: 1))
            config.network = SimulatedNetwork.Settings(latencyMicros: 500, jitterMicros: 200)
            let running = try Cluster(config: config)
            cluster = running
            member = running.member(1)
            #expect(member != nil)
            if realTime {
                let deadline = Date().addingTimeInterval(20)
                while !running.isReady && Date() < deadline { usleep(10_000) }
            } else {
                #expect(running.run(until: { running.leader != nil }))
            }
            running.shutdown()
        }
        let deadline = Date().addingTimeInterval(10)
        while (member != nil || cluster != nil) && Date() < deadline { usleep(10_000) }
        #expect(cluster == nil, "the cluster is still held after its shutdown")
        #expect(member == nil, "member 1 is still held after its cluster's shutdown")
    }
}
