import Foundation

/// The whole text of a /proc file. Their size reads as 0, and String(contentsOfFile:) stops
/// after the first page; reading to the end of the stream gets everything.
func readProcFile(_ path: String) -> String? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
}
