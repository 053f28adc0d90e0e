extension WAL {
    /// Repairs a torn tail left by a crash, if there is one, and says where it was: the last
    /// segment is copied aside as `<name>.broken`, cut after its last whole record and synced.
    /// `open` does this itself; this is for tools. Corruption is not repaired: it throws.
    @discardableResult
    public static func repair(fs: any FileSystem, directory: String) throws(WALError) -> TornTail? {
        let lock = try lockDirectory(fs: fs, directory: directory)
        defer { lock.unlock() }
        let contents = try WALReader.read(fs: fs, directory: directory, from: nil)
        if let corruption = contents.corruption { throw corruption }
        guard let torn = contents.tornTail else { return nil }
        try repairTail(fs: fs, directory: directory, torn: torn)
        return torn
    }

    static func repairTail(fs: any FileSystem, directory: String, torn: TornTail) throws(WALError) {
        let brokenPath = torn.file + ".broken"
        do {
            let file = try fs.open(torn.file)
            defer { file.close() }
            let bytes = try file.readAll()
            if fs.exists(brokenPath) { try fs.remove(brokenPath) }
            let broken = try fs.create(brokenPath)
            defer { broken.close() }
            try broken.append(bytes)
            try broken.sync()
            try file.truncate(to: torn.offset)
            try file.sync()
            try fs.syncDirectory(directory)
        } catch {
            throw .fileSystem(error)
        }
    }
}
