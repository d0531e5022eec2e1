import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `medsynth preview`, driven over HTTP as a browser would: the report is served, a save runs
/// the notebook again and the new report is served within a second, the page's reload script
/// sees the generation change, and nothing outside the report folder is served.
final class PreviewTests: XCTestCase {
    var binary: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("medsynth") }

    /// GET `path` from 127.0.0.1:`port`: the status and the body.
    func get(_ path: String, port: UInt16, method: String = "GET", host: String? = nil) throws -> (status: Int, body: String) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw XCTSkip("cannot connect to the preview: \(String(cString: strerror(errno)))") }
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    func testASavedChangeIsServedWithinASecond() throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary") }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-preview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let notebook = work.appendingPathComponent("live.medsynth")
        func write(_ value: String) throws {
            try "# Live\n\n```medsynth {#slow}\nd = phantom n=2 size=32 seed=1\n```\n\n```medsynth {#shown}\n\"\(value)\"\n```\n"
                .write(to: notebook, atomically: true, encoding: .utf8)
        }
        try write("first value")

        let process = Process()
        process.executableURL = binary
        process.arguments = ["preview", "live.medsynth", "--port", "0"]
        process.currentDirectoryURL = work
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The port is in the line it prints once it serves.
        var printed = ""
        var port: UInt16?
        let deadline = Date().addingTimeInterval(60)
        while port == nil, Date() < deadline {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            printed += String(decoding: data, as: UTF8.self)
            if let range = printed.range(of: #"127\.0\.0\.1:([0-9]+)/"#, options: .regularExpression) {
                port = UInt16(printed[range].dropFirst("127.0.0.1:".count).dropLast())
            }
        }
        let serving = try XCTUnwrap(port, "no port in: \(printed)")

        let page = try get("/", port: serving)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("first value"), page.body)
        XCTAssertTrue(page.body.contains("/__medsynth/generation"), "the page asks whether to reload")
        XCTAssertEqual(try get("/__medsynth/generation", port: serving).body, "1")

        // A save: the new report is served, and the generation moves, within a second.
        try write("second value")
        let saved = Date()
        var generation = "1"
        while generation == "1", Date().timeIntervalSince(saved) < 10 {
            usleep(20_000)
            generation = try get("/__medsynth/generation", port: serving).body
        }
        let elapsed = Date().timeIntervalSince(saved)
        XCTAssertEqual(generation, "2")
        XCTAssertLessThan(elapsed, 1.0, "the changed cell was served \(elapsed) s after the save")
        XCTAssertTrue(try get("/", port: serving).body.contains("second value"))

        // Only the report folder, only GET and HEAD.
        XCTAssertEqual(try get("/../live.medsynth", port: serving).status, 403)
        XCTAssertEqual(try get("/%2e%2e/live.medsynth", port: serving).status, 403)
        XCTAssertEqual(try get("/.medsynth-cache/index.json", port: serving).status, 403)
        XCTAssertEqual(try get("/live.json", port: serving).status, 200)
        XCTAssertEqual(try get("/", port: serving, method: "POST").status, 405)
        // A page whose name was made to point at 127.0.0.1 (DNS rebinding) names itself: refused.
        XCTAssertEqual(try get("/", port: serving, host: "attacker.example:\(serving)").status, 403)
        XCTAssertEqual(try get("/", port: serving, host: "localhost:\(serving)").status, 200)

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }
}
