import Foundation

/// The PyTorch side of a side-by-side benchmark: runs benchmarks/torch_reference.py in a child
/// process and reads the times it prints as JSON. PyTorch is a reference only; nothing else in
/// medsynth runs Python.
struct PyTorchReference {
    /// One workload's times, in seconds per run.
    struct Result: Decodable {
        var name: String
        var medianSeconds: Double
        var minSeconds: Double
        var maxSeconds: Double

        enum CodingKeys: String, CodingKey {
            case name, medianSeconds = "median_seconds", minSeconds = "min_seconds", maxSeconds = "max_seconds"
        }
    }

    struct Report: Decodable {
        var torch: String
        var threads: Int
        var results: [Result]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var python: String
    var script: String

    /// Runs the script with the given repeats, threads and name filters, and returns its report.
    /// The error says how to get PyTorch when the script or torch is missing.
    func run(repeats: Int, threads: Int, filters: [String]) throws -> Report {
        guard FileManager.default.fileExists(atPath: script) else {
            throw Failure(description: "the PyTorch reference script \(script) does not exist; run from the repository root or give --pytorch-script")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, "--json", "--repeats", String(repeats), "--threads", String(threads)] + filters
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw Failure(description: "could not start \(python): \(error.localizedDescription)")
        }
        // Read both pipes to the end before waiting, so a chatty child cannot block on a full pipe.
        let errorData = ReadInBackground(errors.fileHandleForReading)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errorData.wait(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let hint = stderr.contains("No module named 'torch'")
                ? " (PyTorch is not installed: pip install torch --index-url https://download.pytorch.org/whl/cpu)" : ""
            throw Failure(description: "\(python) \(script) failed with status \(process.terminationStatus)\(hint):\n\(stderr.suffix(2000))")
        }
        do {
            return try JSONDecoder().decode(Report.self, from: data)
        } catch {
            throw Failure(description: "\(script) printed no readable JSON report: \(error)")
        }
    }
}

/// Reads a file handle to its end on a background thread.
private final class ReadInBackground: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
