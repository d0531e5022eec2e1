import Engine
import Diffusion
import Formats
import Language

/// The file readers of Formats (and the model loader on top of the checkpoint reader), each
/// reading one input as a whole file and then everything in it, as `load` would.
enum ReaderTargets {
    /// The HDF5 check's time limit here: a file on which libhdf5 loops is refused in 3 s,
    /// well inside libFuzzer's timeout of 10 s (which would otherwise fire first).
    static let rehearsalTimeLimit = 3.0

    static func png(_ input: [UInt8]) throws {
        _ = try PNGImage(decoding: input, file: "input.png")
    }

    static func nifti(_ input: [UInt8]) throws {
        _ = try NIfTIImage(reading: ScratchDirectory.file("input.nii", containing: input))
    }

    static func dicom(_ input: [UInt8]) throws {
        // GDCM decodes in a child process up to a fifth of the budget; 64 MiB is far more than any
        // seed needs and keeps a hostile header's huge image from costing each run 200 MB of zeros.
        let budget = MemoryBudget.limit
        MemoryBudget.limit = 64 << 20
        defer { MemoryBudget.limit = budget }
        _ = try DICOMImage(decoding: input, file: "input.dcm")
    }

    /// The file checked in a child process first, as `load` does (HDF5Rehearsal), then walked
    /// past objects that fail: a reader that opens the file but trips on one object deep
    /// inside must be found too. The walk is bounded, so that a file of many objects (or links
    /// back up the tree) costs the fuzzer time in proportion to its size, not more.
    static func hdf5(_ input: [UInt8]) throws {
        let path = ScratchDirectory.file("input.h5", containing: input)
        try HDF5Rehearsal.check(path, timeLimit: rehearsalTimeLimit)
        let file = try HDF5File(reading: path)
        defer { try? file.close() }
        file.walk(maximumObjects: 64)
    }

    static func safetensors(_ input: [UInt8]) throws {
        let file = try SafetensorsFile(reading: ScratchDirectory.file("input.safetensors", containing: input))
        _ = try file.tensors()
    }

    /// A safetensors file whose header is `header` and which holds no tensor data.
    static func safetensorsFile(header: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
    }

    static func checkpoint(_ input: [UInt8], extension fileExtension: String) throws {
        let path = ScratchDirectory.file("input.\(fileExtension)", containing: input)
        if fileExtension == "h5" {
            try HDF5Rehearsal.check(path, timeLimit: rehearsalTimeLimit)
        }
        _ = try ModelRegistry.load(path)
    }
}
