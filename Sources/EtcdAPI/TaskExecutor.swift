import NIOCore
import NIOPosix

/// Where Swift tasks run in the commands that speak gRPC.
public enum GRPCTaskExecutor {
    /// Runs every Swift task on NIO's event loops, the threads that already do the gRPC I/O, so a
    /// request is not handed between NIO's threads and Swift's own pool at every await (each
    /// hand-over costs a thread wake-up, which on loopback is most of a request's latency). Call
    /// once, from the main thread, before any task starts; returns false when the toolchain does
    /// not allow it, and everything then runs as before.
    @discardableResult
    public static func useEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
