import Formats
import Language

/// The file readers of Formats (and the model loader on top of the checkpoint reader), each
/// reading one input as a whole file and then everything in it, as `load` would.
enum ReaderTargets {
    static func png(_ input: [UInt8]) throws {
        _ = try PNGImage.decode(input, file: "input.png")
    }

    static func nifti(_ input: [UInt8]) throws {
        _ = try NIfTIImage(reading: ScratchDirectory.file("input.nii", containing: input))
    }

    static func dicom(_ input: [UInt8]) throws {
        _ = try DICOMImage(decoding: input, file: "input.dcm")
    }

    /// Walks the object tree past objects that fail: a reader that opens the file but trips on
    /// one object deep inside must be found too. Only a file that cannot be opened throws.
    static func hdf5(_ input: [UInt8]) throws {
        let file = try HDF5File(reading: ScratchDirectory.file("input.h5", containing: input))
        defer { try? file.close() }
        var pending = ["/"]
        var visited = 0
        // A bound on the walk, so that a file of many objects (or links back up the tree)
        // costs the fuzzer time in proportion to its size, not more.
        while let object = pending.popLast(), visited < 64 {
            visited += 1
            _ = try? file.attributeNames(of: object).map { try? file.attribute($0, of: object) }
            switch try? file.kind(of: object) {
            case .group?:
                let prefix = object == "/" ? "/" : object + "/"
                pending += ((try? file.children(of: object)) ?? []).map { prefix + $0 }
            case .dataset?:
                _ = try? file.datasetInfo(object)
                _ = try? file.readTensor(object)
            default:
                break
            }
        }
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
        _ = try ModelFiles.load(ScratchDirectory.file("input.\(fileExtension)", containing: input))
    }
}
