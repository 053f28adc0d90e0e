#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Flushes a file to stable storage, the way each platform makes that durable.
///
/// On Darwin `fsync` leaves the data in the drive's own cache, which a power cut loses, and may
/// reach the media out of order; `fcntl(F_FULLFSYNC)` flushes that cache too (etcd's
/// fileutil.Fdatasync on darwin, SQLite's fullfsync). Some file systems (SMB mounts) refuse it
/// with ENOTSUP: then `fsync` is the best there is, as Go's os.File.Sync falls back.
public enum DurableFlush {
    /// The file's data and the metadata needed to read it back (fdatasync on Linux).
    /// Returns 0, or -1 with `errno` set.
    public static func data(_ descriptor: Int32) -> Int32 {
        #if canImport(Darwin)
        return fullSync(descriptor)
        #elseif os(Linux)
        return fdatasync(descriptor)
        #else
        return fsync(descriptor)
        #endif
    }

    /// The file's data and all its metadata (fsync on Linux); also what syncs a directory.
    /// Returns 0, or -1 with `errno` set.
    public static func all(_ descriptor: Int32) -> Int32 {
        #if canImport(Darwin)
        return fullSync(descriptor)
        #else
        return fsync(descriptor)
        #endif
    }

    #if canImport(Darwin)
    private static func fullSync(_ descriptor: Int32) -> Int32 {
        if fcntl(descriptor, F_FULLFSYNC) == 0 { return 0 }
        guard errno == ENOTSUP else { return -1 }
        return fsync(descriptor)
    }
    #endif
}
