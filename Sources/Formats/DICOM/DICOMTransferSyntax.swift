/// How a DICOM data set after the file meta group is encoded. medsynth reads the two
/// uncompressed little-endian syntaxes; every other one is named in the error it gives.
enum DICOMTransferSyntax {
    case implicitLittleEndian
    case explicitLittleEndian

    /// The syntax for a (0002,0010) Transfer Syntax UID, or a FormatError naming the syntax.
    init(uid: String, file: String) throws {
        switch uid {
        case "1.2.840.10008.1.2": self = .implicitLittleEndian
        case "1.2.840.10008.1.2.1": self = .explicitLittleEndian
        default:
            let name = DICOMTransferSyntax.names[uid].map { "\($0) (\(uid))" } ?? "transfer syntax \(uid)"
            throw FormatError(file: file, "uses \(name), which medsynth cannot read: only uncompressed Implicit and Explicit VR Little Endian are supported")
        }
    }

    /// Whether each element states its value representation (two letters after the tag).
    var isExplicit: Bool { self == .explicitLittleEndian }

    /// The names of the syntaxes medsynth refuses, from DICOM PS3.6 table A-1, for the error.
    static let names: [String: String] = [
        "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
        "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
        "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-Hierarchical (Process 14)",
        "1.2.840.10008.1.2.4.70": "JPEG Lossless, Non-Hierarchical, First-Order Prediction",
        "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS Lossy (Near-Lossless)",
        "1.2.840.10008.1.2.4.90": "JPEG 2000 Image Compression (Lossless Only)",
        "1.2.840.10008.1.2.4.91": "JPEG 2000 Image Compression",
        "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 (Lossless Only)",
        "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
        "1.2.840.10008.1.2.5": "RLE Lossless",
    ]
}
