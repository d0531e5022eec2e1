import Engine
import Foundation
import Notebook

/// One entry point of medsynth that reads untrusted bytes, wrapped so that a fuzzer (or a
/// regression test) can hand it any input. Each target reads the bytes as medsynth would read a
/// file a downloaded notebook points at; an input may make the reader throw (that is the point:
/// hostile input gets an error), but never crash, hang or allocate without bound.
///
/// `medsynth-fuzz` runs one under libFuzzer (`scripts/fuzz.sh`); FuzzRegressionTests runs every
/// committed corpus and crash input through all of them in-process.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `PNGImage(decoding:)` (libpng through its simplified API).
    case png
    /// `NIfTIImage(reading:)` on the bytes as they are: plain `.nii`, or gzip with damaged streams.
    case nifti
    /// `NIfTIImage(reading:)` on the bytes gzip-compressed first, so that the fuzzer mutates the
    /// header and voxels behind a valid gzip stream (the `.nii.gz` path).
    case niftiGzip = "nifti-gz"
    /// `DICOMImage(decoding:)`.
    case dicom
    /// `HDF5File(reading:)`, then every object below the root: kinds, children, attributes,
    /// dataset shapes, and each dataset's values.
    case hdf5
    /// `SafetensorsFile(reading:)`, then every tensor.
    case safetensors
    /// The header of a safetensors file (the bytes after the 8-byte length): Formats' JSON
    /// parser and the header's validation, with no tensor data to read.
    case json
    /// `ModelRegistry.load` on an HDF5 checkpoint: `Checkpoint(reading:)`, then the model.
    case checkpointHDF5 = "checkpoint-h5"
    /// `ModelRegistry.load` on a safetensors checkpoint.
    case checkpointSafetensors = "checkpoint-safetensors"
    /// A notebook (front matter, fences, prose) or a plain script: `NotebookDocument`, then each
    /// cell through the lexer, parser, analyser and canonical form (the cache key's text).
    case notebook
    /// A cache directory whose `index.json` holds the bytes: `TensorCache(directory:)`, which
    /// reads the index and clears stray files.
    case cacheIndex = "cache-index"
    /// The bytes of a cache entry, as a lookup decodes them once their checksum and code
    /// verify: `TensorCache.decodeEntry` (a safetensors file whose metadata describes the
    /// values as JSON: numbers, lists, records, tables, figures, schedules, models).
    case cacheEntry = "cache-entry"

    /// The memory budget of a fuzzing process: 1 GiB, under libFuzzer's limits of 2 GB (RSS and
    /// single allocation), so that a reader that checks its sizes against the budget refuses
    /// an input before libFuzzer would call it out of memory. It also caps the address space
    /// of the child process that checks an HDF5 file, so the library's own allocations there
    /// fail (the child exits, the file is refused) rather than reach libFuzzer's malloc limit,
    /// which would save the input as a finding from the child.
    public static let memoryBudget = 1 << 30

    /// Sets up the fuzzing process: the memory budget.
    public static func prepareProcess() {
        MemoryBudget.limit = memoryBudget
    }

    /// Inputs longer than this are not worth the fuzzer's time (libFuzzer's `-max_len`): a
    /// little more than the seeds, enough for nesting and a few objects.
    public var maximumLength: Int {
        switch self {
        case .png, .dicom, .nifti, .niftiGzip: return 16384
        case .hdf5, .checkpointHDF5, .cacheEntry: return 32768
        case .safetensors, .checkpointSafetensors: return 8192
        case .json, .notebook, .cacheIndex: return 8192
        }
    }

    /// Reads `input` the way this target's reader reads a file. Errors are the readers' own
    /// (the fuzzer ignores them; the regression tests check them).
    public func run(_ input: [UInt8]) throws {
        switch self {
        case .png: try ReaderTargets.png(input)
        case .nifti: try ReaderTargets.nifti(input)
        case .niftiGzip: try ReaderTargets.nifti(GzipStream.compress(input))
        case .dicom: try ReaderTargets.dicom(input)
        case .hdf5: try ReaderTargets.hdf5(input)
        case .safetensors: try ReaderTargets.safetensors(input)
        case .json: try ReaderTargets.safetensors(ReaderTargets.safetensorsFile(header: input))
        case .checkpointHDF5: try ReaderTargets.checkpoint(input, extension: "h5")
        case .checkpointSafetensors: try ReaderTargets.checkpoint(input, extension: "safetensors")
        case .notebook: try NotebookTargets.notebook(input)
        case .cacheIndex: try NotebookTargets.cacheIndex(input)
        case .cacheEntry: _ = try TensorCache.decodeEntry(input)
        }
    }
}
