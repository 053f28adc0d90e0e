import Foundation
import Testing

/// The subcommands as a person runs them.
@Suite(.serialized) struct CommandTests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Rafttop.binaryPath), "missing \(Rafttop.binaryPath)")
    }

    @Test func checkRaftRunsSeedsAndReportsNoViolations() async throws {
        let result = try await Rafttop.run(["check", "raft", "--seeds", "5", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"violations\""))
    }

    @Test func demoFailoverLosesNothing() async throws {
        let result = try await Rafttop.run(["demo", "failover", "--json", "--phase-seconds", "0.5", "--clients", "4"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for key in ["old_leader", "new_leader", "failover_ms", "acked_puts", "lost_puts", "p50_ms_before",
                    "p99_ms_before", "p50_ms_after", "p99_ms_after"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["lost_puts"] as? Int == 0)
        #expect((object["acked_puts"] as? Int ?? 0) > 0)
        #expect(object["old_leader"] as? Int != object["new_leader"] as? Int)
    }

    @Test func benchPrintsFiguresAndKeepsANamedDataDirectory() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await Rafttop.run(["bench", "--duration", "1", "--clients", "4", "--json", "--data-dir", directory,
                                      "--rss-every", "0.5"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["puts_per_second"] as? Double ?? 0) > 0)
        #expect((object["fsyncs_per_second"] as? Double ?? 0) > 0)
        // The disk's own fdatasync, measured in the same run, and the put p50 set beside it.
        #expect((object["fdatasync_p50_ms"] as? Double ?? 0) > 0)
        #expect((object["p50_over_fdatasync"] as? Double ?? 0) > 0)
        let rss = try #require(object["rss_mb"] as? [Double])
        #expect(rss.count == 2 && rss.allSatisfy { $0 > 1 })
        // Where the member threads ran: a share of the run, and a count of switches.
        let packedShare = try #require(object["cpu_packed_share"] as? Double)
        #expect((0...1).contains(packedShare))
        #expect((object["cpu_packing_switches"] as? Int ?? -1) >= 0)
        #expect(!FileManager.default.fileExists(atPath: directory + "/fdatasync-probe"))
        #expect(FileManager.default.fileExists(atPath: directory + "/member-1/wal"))

        let dump = try await Rafttop.run(["wal", "dump", directory + "/member-1/wal"])
        #expect(dump.status == 0, "\(dump.stderr)")
        #expect(dump.stdout.contains("put load-0-0 = 256 B"))
        #expect(dump.stdout.contains("add member 1"))
    }

    @Test func benchKeysReportsMemoryDiskAndRestart() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await Rafttop.run(["bench", "--keys", "2000", "--clients", "16", "--json", "--data-dir", directory])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["keys"] as? Int == 2000)
        #expect(object["puts_acknowledged"] as? Int == 2000)
        #expect(object["puts_failed"] as? Int == 0)
        #expect((object["puts_per_second"] as? Double ?? 0) > 0)
        let rss = try #require(object["rss_bytes"] as? Int)
        #expect(rss > 0)
        #expect(object["rss_bytes_per_member"] as? Int == rss / 3)
        let disk = try #require(object["disk_bytes_per_member"] as? [Int])
        #expect(disk.count == 3 && disk.allSatisfy { $0 > 0 })
        #expect((object["restart_seconds"] as? Double ?? 0) > 0)
        #expect((object["rss_after_restart_bytes"] as? Int ?? 0) > 0)
        // No snapshot at 2,000 entries: each member read its WAL and applied again every put
        // it had saved as committed (the last few commits may not have reached its WAL before
        // the stop: they commit again after the restart's election).
        let recovery = try #require(object["recovery"] as? [[String: Any]])
        #expect(recovery.count == 3)
        for member in recovery {
            #expect(member["snapshot_bytes"] as? Int == 0, "\(member)")
            #expect((member["entries_replayed"] as? Int ?? 0) >= 1900, "\(member)")
            #expect(member["replay_seconds"] is Double, "\(member)")
        }
        // The restart ran on the data the load left: every key is in the WAL it recovered.
        let dump = try await Rafttop.run(["wal", "dump", directory + "/member-1/wal"])
        #expect(dump.status == 0, "\(dump.stderr)")
        #expect(dump.stdout.contains("put key-1999 = 256 B"))
        #expect(dump.stdout.contains("put bench-keys-restart"))

        let text = try await Rafttop.run(["bench", "--keys", "50", "--clients", "4"])
        #expect(text.status == 0, "\(text.stderr)")
        for field in ["puts/s", "resident MB", "disk MB", "restart s", "50 acknowledged", "member 3", "entries replayed in"] {
            #expect(text.stdout.contains(field), "missing \(field) in \(text.stdout)")
        }
    }

    @Test func benchKeysOutsideItsBoundsIsRefusedNamingTheFlag() async throws {
        for keys in ["0", "-3", "10000001"] {
            let result = try await Rafttop.run(["bench", "--keys=" + keys])
            #expect(result.status != 0, "\(keys)")
            #expect(result.stderr.contains("--keys must be 1 to 10000000, not \(keys)"), "\(keys): \(result.stderr)")
        }
        let inMemory = try await Rafttop.run(["bench", "--keys", "10", "--in-memory"])
        #expect(inMemory.status != 0)
        #expect(inMemory.stderr.contains("--keys measures disk and restart"))
    }

    @Test func benchWithoutCPUPackingSaysNothingOfIt() async throws {
        let packed = try await Rafttop.run(["bench", "--duration", "0.5", "--clients", "1", "--in-memory"])
        #expect(packed.status == 0, "\(packed.stderr)")
        #expect(packed.stdout.contains("\nthreads "), "\(packed.stdout)")
        let spread = try await Rafttop.run(["bench", "--duration", "0.5", "--clients", "1", "--in-memory", "--no-cpu-packing"])
        #expect(spread.status == 0, "\(spread.stderr)")
        #expect(!spread.stdout.contains("\nthreads "), "\(spread.stdout)")
        #expect(spread.stdout.contains("puts/s"))
    }

    @Test func walDumpSaysWhereATornTailIsAndFailsOnCorruption() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bench = try await Rafttop.run(["bench", "--duration", "1", "--clients", "2", "--data-dir", directory])
        #expect(bench.status == 0, "\(bench.stderr)")
        let wal = directory + "/member-2/wal"
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: wal).filter { $0.hasSuffix(".wal") }.sorted().last)
        let path = wal + "/" + segment
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // The segment is preallocated: its records end where the zeros after them begin.
        let recordsEnd = (try #require(bytes.lastIndex { $0 != 0 }) + 8) / 8 * 8
        #expect(recordsEnd < bytes.count)

        // A crash cut the last record short: every whole record prints, and the tail is named.
        try bytes.prefix(recordsEnd - 5).write(to: URL(fileURLWithPath: path))
        let torn = try await Rafttop.run(["wal", "dump", wal])
        #expect(torn.status == 0, "\(torn.stderr)")
        #expect((torn.stdout + torn.stderr).lowercased().contains("torn"))

        // A flipped byte in the middle is corruption: non-zero exit naming the file and offset.
        bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
        let corrupt = try await Rafttop.run(["wal", "dump", wal])
        #expect(corrupt.status != 0)
        #expect((corrupt.stdout + corrupt.stderr).contains(segment))
    }

    @Test func badArgumentsGetAClearError() async throws {
        let result = try await Rafttop.run(["bench", "--members", "9"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--members must be 1 to 7"))
    }

    @Test func passwordRoundsOutsideTheirBoundsAreRefusedNamingTheFlag() async throws {
        for command in [["serve"], ["bench", "auth"], []] {
            for rounds in ["999", "4194305", "0"] {
                let result = try await Rafttop.run(command + ["--auth-pbkdf2-rounds", rounds])
                #expect(result.status != 0, "\(command) \(rounds)")
                #expect(result.stderr.contains("--auth-pbkdf2-rounds must be from 1000 to 4194304, not \(rounds)"),
                        "\(command) \(rounds): \(result.stderr)")
            }
        }
    }

    @Test(arguments: [
        (["--grpc-keepalive-min-time", "5"], "--grpc-keepalive-min-time must be a duration above zero such as 5s, 300ms or 2h0m0s, not '5'"),
        (["--grpc-keepalive-timeout", "0"], "--grpc-keepalive-timeout must be a duration above zero"),
        (["--max-concurrent-streams", "0"], "--max-concurrent-streams must be from 1 to 1000000, not 0"),
        (["--max-client-connections", "0"], "--max-client-connections must be from 1 to 1000000"),
        (["--max-request-bytes", "12"], "--max-request-bytes must be from 1024"),
    ])
    func serveRefusesLimitsThatAreNotLimits(_ flags: [String], _ message: String) async throws {
        let result = try await Rafttop.run(["serve", "--in-memory"] + flags)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
