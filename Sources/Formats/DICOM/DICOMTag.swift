/// A data element's (group, element) pair, written (gggg,eeee) in the standard.
public struct DICOMTag: Hashable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    /// group << 16 | element, as the C interface takes it.
    var code: UInt32 { UInt32(group) << 16 | UInt32(element) }

    public var description: String {
        func hex(_ value: UInt16) -> String {
            let digits = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }
        return "(\(hex(group)),\(hex(element)))"
    }
}

/// The elements medsynth reads, by name.
extension DICOMTag {
    static let samplesPerPixel = DICOMTag(0x0028, 0x0002)
    static let photometricInterpretation = DICOMTag(0x0028, 0x0004)
    static let planarConfiguration = DICOMTag(0x0028, 0x0006)
    static let numberOfFrames = DICOMTag(0x0028, 0x0008)
    static let rows = DICOMTag(0x0028, 0x0010)
    static let columns = DICOMTag(0x0028, 0x0011)
    static let pixelSpacing = DICOMTag(0x0028, 0x0030)
    static let bitsAllocated = DICOMTag(0x0028, 0x0100)
    static let bitsStored = DICOMTag(0x0028, 0x0101)
    static let pixelRepresentation = DICOMTag(0x0028, 0x0103)
    static let windowCenter = DICOMTag(0x0028, 0x1050)
    static let windowWidth = DICOMTag(0x0028, 0x1051)
    static let rescaleIntercept = DICOMTag(0x0028, 0x1052)
    static let rescaleSlope = DICOMTag(0x0028, 0x1053)
    static let modalityLUTSequence = DICOMTag(0x0028, 0x3000)
    static let lutDescriptor = DICOMTag(0x0028, 0x3002)
    static let lutData = DICOMTag(0x0028, 0x3006)
    static let voiLUTSequence = DICOMTag(0x0028, 0x3010)
    static let pixelData = DICOMTag(0x7FE0, 0x0010)
    static let paletteDescriptors = [DICOMTag(0x0028, 0x1101), DICOMTag(0x0028, 0x1102), DICOMTag(0x0028, 0x1103)]
    static let paletteData = [DICOMTag(0x0028, 0x1201), DICOMTag(0x0028, 0x1202), DICOMTag(0x0028, 0x1203)]
    static let segmentedPaletteData = [DICOMTag(0x0028, 0x1221), DICOMTag(0x0028, 0x1222), DICOMTag(0x0028, 0x1223)]

    static let modality = DICOMTag(0x0008, 0x0060)
    static let sopInstanceUID = DICOMTag(0x0008, 0x0018)
    static let seriesDescription = DICOMTag(0x0008, 0x103E)
    static let patientID = DICOMTag(0x0010, 0x0020)
    static let sliceThickness = DICOMTag(0x0018, 0x0050)
    static let spacingBetweenSlices = DICOMTag(0x0018, 0x0088)
    static let studyInstanceUID = DICOMTag(0x0020, 0x000D)
    static let seriesInstanceUID = DICOMTag(0x0020, 0x000E)
    static let seriesNumber = DICOMTag(0x0020, 0x0011)
    static let instanceNumber = DICOMTag(0x0020, 0x0013)
    static let imagePosition = DICOMTag(0x0020, 0x0032)
    static let imageOrientation = DICOMTag(0x0020, 0x0037)

    // Enhanced multi-frame objects: functional groups (PS3.3 C.7.6.16).
    static let sharedFunctionalGroups = DICOMTag(0x5200, 0x9229)
    static let perFrameFunctionalGroups = DICOMTag(0x5200, 0x9230)
    static let pixelMeasuresSequence = DICOMTag(0x0028, 0x9110)
    static let planePositionSequence = DICOMTag(0x0020, 0x9113)
    static let planeOrientationSequence = DICOMTag(0x0020, 0x9116)
    static let pixelValueTransformationSequence = DICOMTag(0x0028, 0x9145)
    static let frameVOILUTSequence = DICOMTag(0x0028, 0x9132)
}
