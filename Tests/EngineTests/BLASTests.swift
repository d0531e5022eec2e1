import XCTest
@testable import Engine

final class BLASTests: XCTestCase {
    let avx512 = CPUFeatures(modelName: "Zen 5", flags: CPUFeatures.skylakeXRequirements.union(["avx2", "fma"]))
    let avx2 = CPUFeatures(modelName: "Zen 3", flags: ["avx2", "fma"])

    func testCPUInfoParsing() {
        let text = """
            processor\t: 0
            model name\t: AMD EPYC 9R45
            flags\t\t: fpu sse avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl

            processor\t: 1
            model name\t: other
            flags\t\t: fpu
            """
        let cpu = CPUFeatures(cpuinfo: text)
        XCTAssertEqual(cpu.modelName, "AMD EPYC 9R45")
        XCTAssertTrue(cpu.hasAVX512)
        XCTAssertTrue(cpu.hasAVX2)
        XCTAssertFalse(CPUFeatures(cpuinfo: "flags : avx2 fma avx512f").hasAVX512, "avx512f alone is not enough for SkylakeX")
    }

    func testCoreSelectionRules() {
        XCTAssertEqual(CoreSelection.decide(userSetting: nil, cpu: avx512),
                       CoreSelection(coreType: "SkylakeX", source: .medsynth, warning: nil))
        XCTAssertEqual(CoreSelection.decide(userSetting: nil, cpu: avx2),
                       CoreSelection(coreType: nil, source: .openBLAS, warning: nil))
        XCTAssertEqual(CoreSelection.decide(userSetting: "", cpu: avx2).source, .openBLAS)
        // The user's setting always wins, even against AVX-512.
        XCTAssertEqual(CoreSelection.decide(userSetting: "Haswell", cpu: avx512),
                       CoreSelection(coreType: "Haswell", source: .user, warning: nil))
        let risky = CoreSelection.decide(userSetting: "SkylakeX", cpu: avx2)
        XCTAssertEqual(risky.source, .user)
        XCTAssertEqual(risky.coreType, "SkylakeX")
        XCTAssertTrue(risky.warning?.contains("no AVX-512") == true)
    }

    func testInheritedChoiceIsNotTakenForTheUsers() {
        XCTAssertNil(OpenBLAS.userCoreSetting(environment: [
            "OPENBLAS_CORETYPE": "SkylakeX", "MEDSYNTH_OPENBLAS_CORETYPE_CHOSEN": "SkylakeX"]))
        XCTAssertEqual(OpenBLAS.userCoreSetting(environment: [
            "OPENBLAS_CORETYPE": "Haswell", "MEDSYNTH_OPENBLAS_CORETYPE_CHOSEN": "SkylakeX"]), "Haswell")
        XCTAssertEqual(OpenBLAS.userCoreSetting(environment: ["OPENBLAS_CORETYPE": "Zen"]), "Zen")
    }

    /// The tests run under the same arrangement as the program: the library loaded in this
    /// process runs the kernels the selection chose.
    func testLoadedLibraryRunsTheSelectedKernels() throws {
        let blas = try OpenBLAS.shared()
        XCTAssertNotNil(blas.version.wholeMatch(of: /\d+\.\d+\.\d+/), "version of \(blas.configuration)")
        if let core = blas.selection.coreType {
            XCTAssertEqual(blas.coreName.lowercased(), core.lowercased())
        }
        if CPUFeatures.current.hasAVX512 && ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == "SkylakeX" {
            XCTAssertEqual(blas.coreName, "SkylakeX")
        }
        XCTAssertTrue(blas.path.contains("openblas"), blas.path)
    }

    func testOpenBLASRunsEachCallOnOneCore() throws {
        XCTAssertEqual(try OpenBLAS.shared().threadCount, 1)
        XCTAssertNil(OpenBLAS.userThreadSetting(environment: ["MEDSYNTH_THREADS": "2"]))
        XCTAssertEqual(OpenBLAS.userThreadSetting(environment: ["OPENBLAS_NUM_THREADS": "3"]), "OPENBLAS_NUM_THREADS=3")
        XCTAssertEqual(OpenBLAS.userThreadSetting(environment: ["OMP_NUM_THREADS": "4"]), "OMP_NUM_THREADS=4")
    }

    func testWithThreadsRestoresTheCount() throws {
        let blas = try OpenBLAS.shared()
        let before = blas.threadCount
        blas.withThreads(1) { XCTAssertEqual(blas.threadCount, 1) }
        XCTAssertEqual(blas.threadCount, before)
    }
}
