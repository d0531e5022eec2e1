import CHDF5
import CPNG
@preconcurrency import CReadline
import CZlib

/// The versions of the C libraries medsynth is linked with, as each library reports itself at
/// run time (which may differ from the headers it was built against).
enum NativeVersions {
    static var hdf5: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        return H5get_libversion(&major, &minor, &release) < 0 ? "unknown" : "\(major).\(minor).\(release)"
    }

    static var libpng: String {
        png_get_libpng_ver(nil).map { String(cString: $0) } ?? "unknown"
    }

    static var readline: String {
        rl_library_version.map { String(cString: $0) } ?? "unknown"
    }

    static var zlib: String {
        String(cString: zlibVersion())
    }

    /// The Swift compiler that built this binary (the language has no run-time query for it).
    static var swift: String {
        #if compiler(>=6.5)
        return "6.5 or later"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }
}
