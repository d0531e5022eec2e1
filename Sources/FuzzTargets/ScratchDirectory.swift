import Foundation

/// The readers take paths, so each input is written to a file first: in one directory per
/// process (on /dev/shm when there is one, to spare the disk millions of writes), reused for
/// every input and removed at exit. A process that crashes leaves its directory behind, so
/// scripts/fuzz.sh names a folder of its own for them in MEDSYNTH_FUZZ_SCRATCH and removes it.
enum ScratchDirectory {
    static let path: String = {
        let base = ProcessInfo.processInfo.environment["MEDSYNTH_FUZZ_SCRATCH"]
            ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        var template = Array("\(base)/medsynth-fuzz-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { fatalError("medsynth-fuzz: cannot create a scratch directory in \(base)") }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        atexit { try? FileManager.default.removeItem(atPath: ScratchDirectory.path) }
        return path
    }()

    /// Writes `bytes` to `name` in the scratch directory, replacing what was there, and
    /// returns its path.
    static func file(_ name: String, containing bytes: [UInt8]) -> String {
        let path = "\(self.path)/\(name)"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            fatalError("medsynth-fuzz: cannot write \(path)")
        }
        return path
    }

    /// A fresh empty directory `name` in the scratch directory.
    static func emptyDirectory(_ name: String) -> String {
        let path = "\(self.path)/\(name)"
        try? FileManager.default.removeItem(atPath: path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            fatalError("medsynth-fuzz: cannot create \(path)")
        }
        return path
    }
}
