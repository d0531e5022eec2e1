import Engine
import Formats
import Foundation
import XCTest
@testable import Language
@testable import Notebook

/// The cache folder as hostile input: whatever `index.json` and the entries hold, no file outside
/// the cache is touched, and no value but a fresh run's is ever shown.
extension NotebookTests {
    var indexPath: String { (cacheDirectory as NSString).appendingPathComponent("index.json") }

    func readIndex(_ path: String? = nil) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path ?? indexPath))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func writeIndex(_ index: [String: Any], _ path: String? = nil) throws {
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: path ?? indexPath))
    }

    /// A folder outside the cache holding an old file named like an entry and another file, as
    /// a victim of a key or a link that points out of the cache; with what it should still hold.
    func makeVictim(_ name: String) throws -> (path: String, contents: [String: Data]) {
        let victim = (directory as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        let contents = [
            String(repeating: "a", count: 64) + ".safetensors": Data("old entry-like file".utf8),
            String(repeating: "b", count: 64) + ".h5": Data("old entry-like file of cache format 1".utf8),
            "thesis.tex": Data("years of work".utf8),
        ]
        for (file, data) in contents {
            let path = (victim as NSString).appendingPathComponent(file)
            try data.write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-86_400)], ofItemAtPath: path)
        }
        return (victim, contents)
    }

    func assertUntouched(_ victim: (path: String, contents: [String: Data]), file: StaticString = #filePath, line: UInt = #line) {
        for (name, data) in victim.contents {
            XCTAssertEqual(FileManager.default.contents(atPath: (victim.path as NSString).appendingPathComponent(name)), data,
                           "\(victim.path)/\(name) was changed or deleted", file: file, line: line)
        }
    }

    /// On main, a key like "../../victim\u{0}" with a huge size was "evicted" by the next run:
    /// the victim folder deleted recursively. Keys must be 64 hex digits; others are dropped and
    /// never made into paths, by a run, by `why` (a dry run) and by `:cache clear`.
    func testKeysThatAreNotDigestsNeverReachAFile() throws {
        _ = try run(Self.notebook)
        let victim = try makeVictim("victim")
        let victimFile = (directory as NSString).appendingPathComponent("victim.h5")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victimFile))
        var index = try readIndex()
        let honest = try XCTUnwrap(index.first?.value as? [String: Any])
        let hostileKeys = [
            "../../victim\u{0}", "../../victim", "../../victim/", "../../victim/\(String(repeating: "a", count: 64))",
            victim.path, victim.path + "\u{0}", "..", "", "ABCDEF" + String(repeating: "0", count: 58),
            String(repeating: "0", count: 63) + "/", String(repeating: "0", count: 64) + "\u{0}../../victim",
        ]
        for key in hostileKeys {
            var entry = honest
            entry["bytes"] = 1 << 62
            index[key] = entry
        }
        try writeIndex(index)

        let rerun = try run(Self.notebook)
        XCTAssertEqual(executed(rerun), [], "the honest entries are still used")
        XCTAssertEqual(rerun.warnings, [])
        let dryRun = try run(Self.notebook, dryRun: true)
        XCTAssertEqual(Set(dryRun.cells.flatMap(\.statements).map(\.source)), [.cached])
        try TensorCache(directory: cacheDirectory).clear()
        XCTAssertEqual(try readIndex().count, 0, "cleared")
        assertUntouched(victim)
        XCTAssertEqual(FileManager.default.contents(atPath: victimFile), Data("keep me".utf8))
        XCTAssertTrue(try readIndex().keys.allSatisfy { CacheEntryKey($0) != nil })
    }

    /// On main, sizes of 2**62 made the size sum overflow, and every later run trapped. Sizes
    /// past 1 TiB are not an entry's: such entries are dropped.
    func testHugeSizesAreDroppedAndTheSumDoesNotOverflow() throws {
        _ = try run(Self.notebook)
        var index = try readIndex()
        let honest = try XCTUnwrap(index.first?.value as? [String: Any])
        for number in 0..<200 {
            var entry = honest
            entry["bytes"] = number.isMultiple(of: 2) ? 1 << 62 : Int.max
            index[Self.key("huge \(number)")] = entry
        }
        try writeIndex(index)
        XCTAssertEqual(executed(try run(Self.notebook)), [])
        let cache = try TensorCache(directory: cacheDirectory)
        XCTAssertEqual(cache.entries.count, 6, "x, y, z, w, the expectation and the display")
        XCTAssertLessThan(cache.totalBytes, 1 << 20)
    }

    /// On main, a link `entries` made the stray clean-up delete every old file in its target.
    /// A link in place of any of the cache's own files is refused: the run goes on without the
    /// cache, with one warning that names the link, and the link's target is untouched.
    func testLinksInsideTheCacheAreRefusedAndTheirTargetsUntouched() throws {
        let victim = try makeVictim("victim")
        let fresh = try run(Self.notebook, cache: (directory as NSString).appendingPathComponent("fresh"))
        for (index, part) in ["entries", "index.json", "lock", "secret"].enumerated() {
            let cache = (directory as NSString).appendingPathComponent("linked-\(index)")
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            let target = part == "entries" ? victim.path : (victim.path as NSString).appendingPathComponent("thesis.tex")
            try FileManager.default.createSymbolicLink(atPath: (cache as NSString).appendingPathComponent(part), withDestinationPath: target)
            let result = try run(Self.notebook, cache: cache)
            XCTAssertEqual(result.warnings.count, 1, "\(part): \(result.warnings)")
            XCTAssertTrue(result.warnings.first?.contains("warning: running without the cache: \(cache)/\(part): is a symbolic link") == true,
                          "\(part): \(result.warnings)")
            XCTAssertEqual(tensor(result, cell: "d"), tensor(fresh, cell: "d"))
            XCTAssertTrue(result.succeeded)
            _ = try? TensorCache(directory: cache).clear()
            assertUntouched(victim)
        }
        // The cache folder itself may be a link (a cache kept on another disk): the user named it.
        let linkedFolder = (directory as NSString).appendingPathComponent("linked-folder")
        try FileManager.default.createSymbolicLink(atPath: linkedFolder, withDestinationPath: cacheDirectory)
        _ = try run(Self.notebook)
        let throughTheLink = try run(Self.notebook, cache: linkedFolder)
        XCTAssertEqual(throughTheLink.warnings, [])
        XCTAssertEqual(executed(throughTheLink), [])
    }

    /// On main, editing an entry's values and putting their new SHA-256 into index.json made a
    /// run show the forged value. The entry's code no longer verifies: it is removed, its
    /// statement recomputed, and one warning names the cell.
    func testAForgedEntryIsDetectedAndAFreshValueShown() throws {
        let first = try run(Self.notebook)
        let shown = try XCTUnwrap(first.cells[3].statements.last?.key)
        let entryPath = (cacheDirectory as NSString).appendingPathComponent("entries/\(shown).safetensors")
        let forgedValue = Value.tensor(try Tensor(shape: [4], scalars: [100, 100, 100, 100]))
        try ValueCodec.write([("#display", forgedValue)], to: entryPath)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: entryPath))
        var index = try readIndex()
        var record = try XCTUnwrap(index[shown] as? [String: Any])
        record["bytes"] = bytes.count
        record["checksum"] = SHA256.hex(bytes: bytes)
        index[shown] = record
        try writeIndex(index)

        let second = try run(Self.notebook)
        XCTAssertEqual(second.warnings, [
            "warning: the cache entry for cell 'd' failed its authenticity check (it was edited, or copied from another cache); recomputing",
        ])
        XCTAssertEqual(tensor(second, cell: "d"), tensor(first, cell: "d"))
        XCTAssertEqual(executed(second), ["d: w"])
        XCTAssertEqual(executed(try run(Self.notebook)), [], "recomputed and stored again")
    }

    /// An entry (file and index record) copied from another cache does not verify under this
    /// cache's secret; nor does a whole cache folder copied elsewhere, secret and all.
    func testEntriesCopiedFromAnotherCacheAreNotTrusted() throws {
        let other = (directory as NSString).appendingPathComponent("other")
        let first = try run(Self.notebook, cache: other)
        _ = try run(Self.notebook)
        let key = first.cells[2].statements[0].key
        // In the other cache, z is forged by someone who has that cache's secret: its entry is
        // genuine there. Copied here, it must not be used.
        let otherCache = try TensorCache(directory: other)
        try otherCache.store([("z", .tensor(try Tensor(shape: [4], scalars: [7, 7, 7, 7])))], for: key, origin: "forged", parts: Self.noParts)
        let file = "entries/\(key).safetensors"
        let target = (cacheDirectory as NSString).appendingPathComponent(file)
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: (other as NSString).appendingPathComponent(file), toPath: target)
        var index = try readIndex()
        index[key] = try readIndex((other as NSString).appendingPathComponent("index.json"))[key]
        try writeIndex(index)
        let second = try run(Self.notebook)
        XCTAssertEqual(second.warnings.count, 1, "\(second.warnings)")
        XCTAssertTrue(second.warnings.first?.contains("cell 'c' failed its authenticity check") == true, "\(second.warnings)")
        XCTAssertEqual(executed(second), ["c: z = randn [4]"])

        // A whole copy of a cache folder (unpacked from an archive, downloaded with a notebook).
        let copy = (directory as NSString).appendingPathComponent("copy")
        try FileManager.default.copyItem(atPath: other, toPath: copy)
        let fromCopy = try run(Self.notebook, cache: copy)
        XCTAssertEqual(fromCopy.executed.count, first.executed.count, "nothing of the copied cache is used")
        XCTAssertEqual(fromCopy.warnings.count, 4, "one for each cell: \(fromCopy.warnings)")
        XCTAssertEqual(tensor(fromCopy, cell: "d"), tensor(first, cell: "d"))
    }

    /// On main, an extra name in an entry silently rebound an unrelated name. An entry binds
    /// only the names its statement writes.
    func testAnEntryBindingOtherNamesIsRejected() throws {
        let text = "```medsynth {#b}\nb = 2\n```\n\n```medsynth {#a}\na = 1\n```\n"
        let first = try run(text)
        let key = first.cells[1].statements[0].key
        try TensorCache(directory: cacheDirectory).store([("a", .number(1)), ("b", .number(666))], for: key, origin: "a", parts: Self.noParts)
        let second = try run(text)
        XCTAssertEqual(second.warnings, ["warning: the cache entry for cell 'a' binds 'a', 'b', not what the statement binds; recomputing"])
        XCTAssertEqual(second.bindings.map { "\($0.name) = \($0.value.inlineText)" }, ["b = 2", "a = 1"])
    }

    /// A cache that cannot be created (its parent is a file: refused to root too) costs speed,
    /// not the run: one warning, and every statement runs.
    func testACacheThatCannotBeCreatedDegradesWithOneWarning() throws {
        let file = (directory as NSString).appendingPathComponent("file")
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: file))
        let result = try run(Self.notebook, cache: (file as NSString).appendingPathComponent("cache"))
        XCTAssertEqual(result.warnings, ["warning: running without the cache: \(file)/cache: cannot create the cache folder: Not a directory"])
        XCTAssertEqual(Set(result.cells.flatMap(\.statements).map(\.source)), [.uncached])
        XCTAssertTrue(result.succeeded)

        // A read-only cache folder (root may write anyway: there the first run simply stores).
        let readOnly = (directory as NSString).appendingPathComponent("read-only")
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: readOnly)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: readOnly) }
        let unwritable = try run(Self.notebook, cache: readOnly)
        XCTAssertTrue(unwritable.succeeded)
        if geteuid() != 0 {
            XCTAssertEqual(unwritable.warnings, [
                "warning: running without the cache: \(readOnly)/entries: cannot create the cache's entries folder: Permission denied",
            ])
        }

        try FileManager.default.createDirectory(atPath: indexPath, withIntermediateDirectories: true)
        let folderIndex = try run(Self.notebook)
        XCTAssertEqual(folderIndex.warnings, [
            "warning: running without the cache: \(indexPath): is not a regular file, where the cache keeps one (remove it, or use another --cache folder)",
        ])
    }

    /// A cache that stops being writable during a run (a full disk; here its entries folder
    /// replaced by a file) gives one warning, and the run stores nothing more but completes.
    func testACacheThatCannotBeWrittenDegradesWithOneWarning() throws {
        var options = NotebookRunner.Options(cacheDirectory: cacheDirectory, outputDirectory: directory, engineVersion: "test")
        var printed: [String] = []
        options.warning = { printed.append($0) }
        let runner = NotebookRunner(options: options)
        let entries = (cacheDirectory as NSString).appendingPathComponent("entries")
        try FileManager.default.removeItem(atPath: entries)
        try Data().write(to: URL(fileURLWithPath: entries))
        let path = (directory as NSString).appendingPathComponent("notes.medsynth")
        try Self.notebook.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runner.run(try NotebookDocument.load(path: path))
        XCTAssertTrue(result.succeeded)
        XCTAssertEqual(result.warnings.count, 1, "\(result.warnings)")
        XCTAssertTrue(result.warnings[0].hasPrefix("warning: the cache cannot be written, so this run stores nothing: "), result.warnings[0])
        XCTAssertEqual(printed, result.warnings)
        XCTAssertEqual(result.executed.count, 6)
    }

    /// On main, a failed index write at the end of a fully cached run made it fail. Now it is
    /// a warning; the run's results stand. (A folder in place of the index's temporary file
    /// makes the write fail, for root too.)
    func testAFailedIndexWriteAtTheEndIsAWarning() throws {
        _ = try run(Self.notebook)
        try FileManager.default.createDirectory(atPath: indexPath + ".tmp-\(getpid())/blocked", withIntermediateDirectories: true)
        let cached = try run(Self.notebook)
        XCTAssertEqual(executed(cached), [])
        XCTAssertTrue(cached.succeeded)
        XCTAssertEqual(cached.warnings.count, 1, "\(cached.warnings)")
        XCTAssertTrue(cached.warnings[0].hasPrefix("warning: the cache cannot be written, so this run stores nothing: \(indexPath): cannot open: "),
                      cached.warnings[0])
    }

    /// The secret is made with the cache, readable by its owner only; one others could read is
    /// refused.
    func testTheSecretIsPrivate() throws {
        _ = try TensorCache(directory: cacheDirectory)
        let secret = (cacheDirectory as NSString).appendingPathComponent("secret")
        let attributes = try FileManager.default.attributesOfItem(atPath: secret)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual((attributes[.size] as? NSNumber)?.intValue, 32)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: secret)
        XCTAssertThrowsError(try TensorCache(directory: cacheDirectory)) { error in
            XCTAssertTrue("\(error)".contains("may be read by others (mode 644)"), "\(error)")
        }
    }
}

/// The pieces the cache checks its input with: HMAC-SHA256, keys, and the index reader.
final class CacheInputTests: XCTestCase {
    /// RFC 4231's test cases 1 to 4, 6 and 7 (5 truncates the output).
    func testRFC4231Vectors() {
        let cases: [(key: [UInt8], data: [UInt8], code: String)] = [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (Array(1...25), [UInt8](repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            ([UInt8](repeating: 0xaa, count: 131),
             Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (number, test) in cases.enumerated() {
            XCTAssertEqual(SHA256.hex(digest: HMACSHA256.authenticationCode(of: test.data, key: test.key)), test.code, "case \(number)")
        }
        XCTAssertTrue(HMACSHA256.codesMatch([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(HMACSHA256.codesMatch([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(HMACSHA256.codesMatch([1, 2], [1, 2, 3]))
    }

    /// Whatever bytes index.json holds, reading it gives the well-formed records or none.
    func testAnyIndexTextIsSafeToRead() {
        let digest = SHA256.hex("x")
        for text in ["", "[]", "null", "{\"\(digest)\": 1}", String(repeating: "[", count: 100_000),
                     "{\"a\":" + String(repeating: "{\"a\":", count: 100_000), "\u{FF}\u{0}", "{\"\(digest)\": {\"bytes\": 1e400}}"] {
            XCTAssertEqual(TensorCache.wellFormedRecords(ofIndex: Array(text.utf8)).count, 0, String(text.prefix(40)))
        }
    }

    /// A statement's key hashes the files it reads; a FIFO (or a folder) named like a file is
    /// not read, so keying its statement cannot block, and a file is hashed as it is.
    func testKeyingAFileNeverBlocksOnAFIFO() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-fifo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/x.png"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertEqual(CachePolicy.fileHash(fifo), "unreadable: is a named pipe (FIFO), not a regular file; medsynth reads only regular files")
        XCTAssertEqual(CachePolicy.fileHash(folder), "unreadable: is a directory, not a file")
        XCTAssertEqual(CachePolicy.fileHash(folder + "/none"), "unreadable: no such file")
        let file = folder + "/a.txt"
        let text = String(repeating: "medsynth ", count: 300_000)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(CachePolicy.fileHash(file), SHA256.hex(text))
    }

    func testCacheKeysAreExactlySixtyFourLowercaseHexDigits() {
        let digest = SHA256.hex("x")
        XCTAssertEqual(CacheEntryKey(digest)?.hex, digest)
        for bad in ["", digest.uppercased(), digest + "0", String(digest.dropLast()), String(digest.dropLast()) + "/",
                    String(digest.dropLast()) + "\u{0}", "../../" + digest.dropFirst(6), String(digest.dropLast()) + "é"] {
            XCTAssertNil(CacheEntryKey(bad), bad)
        }
        XCTAssertEqual(CacheEntryKey(digest)?.fileName, digest + ".safetensors")
        XCTAssertEqual(CacheEntryKey(entryFileName: digest + ".safetensors")?.hex, digest)
        XCTAssertEqual(CacheEntryKey(entryFileName: digest + ".h5")?.hex, digest, "cache format 1's entries are cleaned up too")
        XCTAssertNil(CacheEntryKey(entryFileName: digest + ".safetensors.tmp"))
        XCTAssertNil(CacheEntryKey(entryFileName: digest + ".png"))
        XCTAssertEqual(CacheEntryKey.temporaryEntryFile(".\(digest).safetensors.123-ab.tmp")?.writer, 123)
        XCTAssertNil(CacheEntryKey.temporaryEntryFile(".thesis.tex.123-ab.tmp"))
    }
}
