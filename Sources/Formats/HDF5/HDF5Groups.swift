@preconcurrency import CHDF5

/// What an object path names in an HDF5 file.
public enum HDF5ObjectKind: Sendable, Equatable {
    /// A group: a container of named children, like a directory.
    case group
    /// A dataset: an n-dimensional array of numbers.
    case dataset
    /// Something medsynth does not read, such as a committed datatype.
    case other
}

extension HDF5File {
    /// What `objectPath` names, or nil if nothing in the file has that path.
    public func kind(of objectPath: String) throws -> HDF5ObjectKind? {
        let parts = try components(of: objectPath)
        return try HDF5Library.run {
            let file = try fileID(for: objectPath)
            var prefix = ""
            var kind = HDF5ObjectKind.group  // the root
            // Look each level up in turn: HDF5 treats a missing intermediate group as an error,
            // not as "does not exist".
            for part in parts {
                guard kind == .group else { return nil }
                prefix += "/" + part
                let exists = H5Lexists(file, prefix, HDF5Library.defaultProperties)
                guard exists >= 0 else { throw failure(prefix, "cannot be looked up") }
                guard exists > 0 else { return nil }
                guard let object = HDF5Handle(H5Oopen(file, prefix, HDF5Library.defaultProperties), close: H5Oclose) else {
                    throw failure(prefix, "is a link that cannot be followed")
                }
                switch H5Iget_type(object.id) {
                case H5I_GROUP: kind = .group
                case H5I_DATASET: kind = .dataset
                default: kind = .other
                }
            }
            return kind
        }
    }

    /// Creates the group `objectPath` and any missing groups above it ("model/down/0" creates
    /// "model" and "model/down" first). A group that already exists is left as it is; a dataset
    /// in the way is an error.
    public func createGroup(_ objectPath: String) throws {
        let parts = try components(of: objectPath)
        try createGroups(parts[...], for: "/" + parts.joined(separator: "/"))
    }

    /// Creates the groups `parts` names, for the sake of `target` (the group itself, or a
    /// dataset to be written in it), which messages name.
    func createGroups(_ parts: ArraySlice<String>, for target: String) throws {
        try requireWritable(target)
        try HDF5Library.run {
            let file = try fileID(for: target)
            var prefix = ""
            for part in parts {
                prefix += "/" + part
                switch try kind(of: prefix) {
                case .group?:
                    continue
                case nil:
                    let defaults = HDF5Library.defaultProperties
                    guard let creation = HDF5Handle(H5Pcreate(H5P_CLS_GROUP_CREATE_ID_g), close: H5Pclose),
                          H5Pset_obj_track_times(creation.id, false) >= 0,
                          HDF5Handle(H5Gcreate2(file, prefix, defaults, creation.id, defaults), close: H5Gclose) != nil
                    else {
                        throw failure(prefix, "cannot create group")
                    }
                case let other?:
                    throw FormatError(file: path, object: prefix, "is a \(other), so it cannot hold \(target)")
                }
            }
        }
    }

    /// The names of the children (groups and datasets) of the group `objectPath`, in
    /// alphabetical order (byte order of their UTF-8 names, as HDF5 sorts them).
    public func children(of objectPath: String = "/") throws -> [String] {
        let absolute = try absolutePath(objectPath)
        return try HDF5Library.run {
            let group = try openObject(absolute, expecting: .group)
            var info = H5G_info_t()
            guard H5Gget_info(group.id, &info) >= 0 else { throw failure(absolute, "cannot list its children") }
            var names: [String] = []
            for index in 0..<info.nlinks {
                let name = try readName(of: absolute) { buffer, size in
                    H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size,
                                       HDF5Library.defaultProperties)
                }
                names.append(name)
            }
            return names
        }
    }

    /// A number that identifies the object at `objectPath` within the file (its address): two
    /// paths that lead to one object give the same number. A walk through a damaged file uses
    /// it to notice a group that contains itself.
    func objectIdentity(of objectPath: String) throws -> UInt64 {
        let absolute = try absolutePath(objectPath)
        return try HDF5Library.run {
            let object = try openObject(absolute)
            var info = H5O_info_t()
            guard H5Oget_info2(object.id, &info, UInt32(H5O_INFO_BASIC)) >= 0 else { throw failure(absolute, "cannot be identified") }
            return UInt64(info.addr)
        }
    }

    /// Opens the object at an absolute path, which must exist and, if `expected` is given, be
    /// of that kind. (H5Oopen opens groups and datasets alike; the H5G and H5D functions accept
    /// what it returns.)
    func openObject(_ absolute: String, expecting expected: HDF5ObjectKind? = nil) throws -> HDF5Handle {
        guard let kind = try kind(of: absolute) else { throw FormatError(file: path, object: absolute, "does not exist") }
        if let expected, kind != expected { throw FormatError(file: path, object: absolute, "is a \(kind), not a \(expected)") }
        guard let object = HDF5Handle(H5Oopen(try fileID(for: absolute), absolute, HDF5Library.defaultProperties), close: H5Oclose)
        else { throw failure(absolute, "cannot be opened") }
        return object
    }

    /// Calls one of HDF5's get-name functions twice, as they are meant to be used: first to learn
    /// the length, then to fill a buffer of that length.
    func readName(of object: String, _ get: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws -> String {
        let length = get(nil, 0)
        guard length >= 0 else { throw failure(object, "cannot read a name in it") }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard get(&buffer, length + 1) >= 0 else { throw failure(object, "cannot read a name in it") }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
