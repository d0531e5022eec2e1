// HDF5's type and property-class identifiers (H5T_NATIVE_FLOAT, H5P_FILE_ACCESS, ...) are C macros
// over mutable globals (H5T_NATIVE_FLOAT_g, ...) that H5open() fills in. Swift 6 refuses to read
// a C mutable global unless the module is imported @preconcurrency; every read here happens under
// HDF5Library's lock, after H5open().
@preconcurrency import CHDF5
import Foundation

/// The one door to the HDF5 C library: every call into it goes through `HDF5Library.run`.
///
/// `run` initialises the library once, switches off HDF5's habit of printing its error stack to
/// stderr (that setting is per thread in thread-safe builds, so it is renewed on every entry),
/// and holds a process-wide lock, because HDF5 builds without thread safety must not be entered
/// from two threads at once. The lock is recursive: an operation may call another.
enum HDF5Library {
    private static let lock = NSRecursiveLock()
    private static let initialized: Bool = H5open() >= 0

    /// Runs `body` with the library initialised, quiet and locked.
    static func run<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        _ = initialized
        H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
        return try body()
    }

    // MARK: - Constants that Swift cannot import (function-like macros in the C headers)

    /// H5P_DEFAULT: the default property list.
    static var defaultProperties: hid_t { hid_t(H5P_DEFAULT) }
    /// H5S_ALL: the whole dataspace.
    static var allOfSpace: hid_t { hid_t(H5S_ALL) }
    /// H5F_ACC_RDONLY.
    static let readOnly: UInt32 = 0x0000
    /// H5F_ACC_EXCL: create, failing if the file exists.
    static let createExclusive: UInt32 = 0x0004

    // MARK: - Errors

    /// Set in the child process of `HDF5Rehearsal` only: an error stack that says the library
    /// could not allocate memory (major error H5E_RESOURCE) ends the process at once with
    /// `allocationFailureStatus`, so that the file is refused rather than read here, where the
    /// same allocation may succeed and what follows it crash.
    nonisolated(unsafe) static var exitOnAllocationFailure = false
    static let allocationFailureStatus: Int32 = 3

    /// The innermost message of the HDF5 error stack of this thread (the most specific reason,
    /// such as "file signature not found"), and clears the stack. Nil if the stack is empty.
    static func takeErrorMessage() -> String? {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { list in
            // Walking downward goes from the API call to the place the error arose.
            _ = H5Ewalk2(hid_t(H5E_DEFAULT), H5E_WALK_DOWNWARD, { _, error, context in
                guard let error, let context else { return 0 }
                if HDF5Library.exitOnAllocationFailure, error.pointee.maj_num == H5E_RESOURCE_g {
                    _exit(HDF5Library.allocationFailureStatus)
                }
                let list = context.assumingMemoryBound(to: [String].self)
                if let description = error.pointee.desc {
                    let text = String(cString: description)
                    if !text.isEmpty { list.pointee.append(text) }
                }
                return 0
            }, list)
        }
        H5Eclear2(hid_t(H5E_DEFAULT))
        return messages.last
    }
}
