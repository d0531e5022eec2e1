import Foundation

/// A shared library opened at run time with dlopen, and the symbols looked up in it.
struct NativeLibrary: @unchecked Sendable {
    /// The dlopen handle; it stays open for the life of the process.
    let handle: UnsafeMutableRawPointer
    /// The name the library was opened by.
    let name: String

    /// Opens the first of `names` that loads; the error lists every name tried and why each failed.
    static func open(anyOf names: [String], purpose: String) throws -> NativeLibrary {
        var reasons: [String] = []
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) {
                return NativeLibrary(handle: handle, name: name)
            }
            reasons.append(dlerror().map { String(cString: $0) } ?? "\(name): not found")
        }
        throw NativeLibraryError.notFound(purpose: purpose, reasons: reasons)
    }

    /// The symbol `symbol`, cast to the function type `T` (a `@convention(c)` function type).
    func function<T>(_ symbol: String, as type: T.Type) throws -> T {
        guard let address = dlsym(handle, symbol) else {
            throw NativeLibraryError.missingSymbol(symbol, library: name)
        }
        return unsafeBitCast(address, to: type)
    }

    /// The file this library was loaded from, symbolic links resolved, as the process's memory
    /// map shows it: libopenblas.so.0 is /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so
    /// on Debian 12. The first mapped file whose name starts like the library's is taken.
    func loadedPath() -> String? {
        guard let maps = readProcFile("/proc/self/maps") else { return nil }
        let stem = name.split(separator: ".").first.map(String.init) ?? name
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let path = String(line[slash...])
            if path.split(separator: "/").last?.hasPrefix(stem) == true { return path }
        }
        return nil
    }
}

/// Why a native library could not be used.
public enum NativeLibraryError: Error, CustomStringConvertible, Equatable {
    case notFound(purpose: String, reasons: [String])
    case missingSymbol(String, library: String)

    public var description: String {
        switch self {
        case .notFound(let purpose, let reasons):
            return "cannot load \(purpose): " + reasons.joined(separator: "; ")
                + " (scripts/setup.sh installs it)"
        case .missingSymbol(let symbol, let library):
            return "\(library) has no symbol \(symbol): an unexpected build of the library"
        }
    }
}
