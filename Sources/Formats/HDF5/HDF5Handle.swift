@preconcurrency import CHDF5

/// Owns one HDF5 identifier (a file, group, dataset, dataspace, datatype, attribute or property
/// list) and closes it exactly once: explicitly with `close()`, or when the handle is released.
///
/// HDF5 leaks an object, and keeps its file open, for every identifier that is not closed; tying
/// each identifier to a Swift object makes every exit path, including a thrown error, close it.
final class HDF5Handle {
    /// The identifier, valid until the handle is closed.
    let id: hid_t
    private let closeFunction: (hid_t) -> herr_t
    private(set) var isOpen = true

    /// Takes ownership of `id`, or returns nil if `id` reports a failure (a negative value).
    init?(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        guard id >= 0 else { return nil }
        self.id = id
        self.closeFunction = close
    }

    /// Closes the identifier now; false if HDF5 reported a failure (for a file, a failed flush).
    @discardableResult
    func close() -> Bool {
        guard isOpen else { return true }
        isOpen = false
        return HDF5Library.run { closeFunction(id) >= 0 }
    }

    deinit {
        close()
    }
}
