import Testing
@testable import Raft

@Suite struct SmokeTests {
    @Test func threeMembersElectAndReplicate() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        #expect(net[1].raft.role == .leader)
        try net.propose(1, "hello")
        for id: NodeID in [1, 2, 3] {
            #expect(net[id].raft.log.committed == 2)
            #expect(net[id].applied.last?.data == Array("hello".utf8))
        }
    }
}
