/// Names of DICOM transfer syntaxes (PS3.6 table A-1), for messages and metadata. GDCM decodes
/// them all but the High-Throughput JPEG 2000 ones; a file in a syntax GDCM cannot decode gets
/// GDCM's refusal with the syntax's name.
enum DICOMTransferSyntax {
    static let names: [String: String] = [
        "1.2.840.10008.1.2": "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
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

    /// "JPEG Baseline (Process 1) (1.2.840.10008.1.2.4.50)", or the UID alone when it is not in the table.
    static func describe(_ uid: String) -> String {
        names[uid].map { "\($0) (\(uid))" } ?? (uid.isEmpty ? "no transfer syntax" : "transfer syntax \(uid)")
    }
}
