import XCTest
@testable import Engine
@testable import Formats
import Imaging

/// The phantom written as an ACDC-style folder and read back, as a loader for the real data set will.
final class ACDCFolderTests: XCTestCase {
    func phantomPatients(count: Int) throws -> [ACDCFolder.Patient] {
        let phantom = try Phantom(seed: 7, size: 48)
        return try ACDCFolder.patients(endDiastole: try phantom.batch(count: count, phase: 0),
                                       endSystole: try phantom.batch(count: count, phase: 1))
    }

    func testAPhantomFolderReadsBackExactly() throws {
        let directory = try TemporaryDirectory()
        let patients = try phantomPatients(count: 3)
        try ACDCFolder.write(patients, to: directory.path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.file("patient002")).sorted(), [
            "Info.cfg", "patient002_frame01.nii.gz", "patient002_frame01_gt.nii.gz",
            "patient002_frame12.nii.gz", "patient002_frame12_gt.nii.gz"])
        let info = try String(contentsOfFile: directory.file("patient002/Info.cfg"), encoding: .utf8)
        XCTAssertTrue(info.hasPrefix("ED: 1\nES: 12\n"), info)

        let read = try ACDCFolder(reading: directory.path).patients
        XCTAssertEqual(read.map(\.number), [1, 2, 3])
        for (original, loaded) in zip(patients, read) {
            XCTAssertEqual(loaded.endDiastole.index, 1)
            XCTAssertEqual(loaded.endSystole.index, 12)
            XCTAssertEqual(loaded.endDiastole.image, original.endDiastole.image)
            XCTAssertEqual(loaded.endSystole.labels, original.endSystole.labels)
            XCTAssertEqual(Set(loaded.endDiastole.labels.scalars), [0, 1, 2, 3])
        }
    }

    func testMissingPiecesAreNamed() throws {
        let directory = try TemporaryDirectory()
        XCTAssertThrowsError(try ACDCFolder(reading: directory.path).patients) { error in
            XCTAssertTrue("\(error)".contains("holds no patientNNN folders"), "\(error)")
        }
        try ACDCFolder.write(try phantomPatients(count: 1), to: directory.path)
        try FileManager.default.removeItem(atPath: directory.file("patient001/patient001_frame12_gt.nii.gz"))
        XCTAssertThrowsError(try ACDCFolder(reading: directory.path).patients) { error in
            XCTAssertTrue("\(error)".contains("patient001_frame12_gt.nii.gz"), "\(error)")
        }
        try "ED: one\n".write(toFile: directory.file("patient001/Info.cfg"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ACDCFolder(reading: directory.path).patients) { error in
            XCTAssertTrue("\(error)".contains("has no whole-number ED entry"), "\(error)")
        }
    }

    /// Info.cfg as the real data set writes it (other keys, spaces, CRLF line ends) and voxel
    /// sizes that travel into the files and back as the frame's geometry.
    func testInfoAndVoxelSizesReadBack() throws {
        let directory = try TemporaryDirectory()
        var patients = try phantomPatients(count: 1)
        patients[0].info = ["Group": "MINF", "Height": "184.0", "Weight": "95.0", "NbFrame": "30"]
        patients[0].endDiastole.voxelSizes = [1.5625, 1.5625, 10]
        patients[0].endSystole.voxelSizes = [1.5625, 1.5625, 10]
        try ACDCFolder.write(patients, to: directory.path)
        var patient = try XCTUnwrap(ACDCFolder(reading: directory.path).patients.first)
        XCTAssertEqual(patient.info, ["Group": "MINF", "Height": "184.0", "Weight": "95.0", "NbFrame": "30"])
        XCTAssertEqual(patient.endSystole.geometry?.spacing, [10, 1.5625, 1.5625])
        XCTAssertEqual(patient.endDiastole.voxelSizes, [1.5625, 1.5625, 10])

        try "ED : 1\r\nES:  12\r\nGroup: HCM\r\nHeight: 160\r\nWeight: 60\r\nNbFrame: 28\r\n"
            .write(toFile: directory.file("patient001/Info.cfg"), atomically: true, encoding: .utf8)
        patient = try XCTUnwrap(ACDCFolder(reading: directory.path).patients.first)
        XCTAssertEqual(patient.endSystole.index, 12)
        XCTAssertEqual(patient.info["Group"], "HCM")
        XCTAssertEqual(patient.info["NbFrame"], "28")
    }
}
