import TestSupport
import XCTest
@testable import Engine

/// Shapes and sizes an attacker (or a typo) can write in one line: each must give a clear error,
/// never a trap, a wrapped-around size or an allocation of gigabytes.
final class HostileShapeTests: XCTestCase {
    private var budget: MemoryBudgetOverride!

    override func setUp() {
        budget = MemoryBudgetOverride(64 << 20)
    }

    override func tearDown() {
        budget.restore()
    }

    func testZerosWhoseSizeWrapsToZeroIsRefused() {
        // 2^30 cubed is 2^90: multiplied without checks it wraps to 0 and passes any size test.
        assertTensorError("zeros", mentions: ["[1073741824, 1073741824, 1073741824]", "overflows"]) {
            try Tensor.zeros([1 << 30, 1 << 30, 1 << 30])
        }
    }

    func testAZeroExtentDoesNotExcuseOverflowingOthers() {
        // Holds no values, but its strides (2^124) cannot be represented.
        assertTensorError("Tensor(shape:scalars:)", mentions: ["overflows"]) {
            try Tensor(shape: [0, 1 << 62, 1 << 62], scalars: [])
        }
        assertTensorError("zeros", mentions: ["overflows"]) { try Tensor.zeros([1 << 62, 1 << 62, 0]) }
    }

    func testReshapeToAnOverflowingShapeIsRefused() throws {
        let x = try Tensor.zeros([2, 3])
        assertTensorError("reshape", mentions: ["[4294967296, 4294967296]", "overflows"]) {
            try x.reshaped([1 << 32, 1 << 32])
        }
        assertTensorError("reshape", mentions: ["overflows"]) { try x.reshaped([-1, 1 << 32, 1 << 32]) }
    }

    func testSlicesWithHugeStepsAndBounds() throws {
        let x = try Tensor.arange(10)
        XCTAssertEqual(try x[.range(start: nil, end: nil, step: 999_999_999_999_999)].scalars, [0])
        XCTAssertEqual(try x[.range(start: nil, end: nil, step: Int.max)].scalars, [0])
        XCTAssertEqual(try x[.range(start: nil, end: nil, step: Int.min)].scalars, [9])
        XCTAssertEqual(try x[.range(start: Int.min, end: Int.max, step: 4)].scalars, [0, 4, 8])
        XCTAssertEqual(try x[.range(start: Int.max, end: Int.min, step: -3)].scalars, [9, 6, 3, 0])
        let m = try Tensor.arange(12).reshaped([3, 4])
        XCTAssertEqual(try m[.range(start: 1, end: nil, step: 1 << 62), .range(start: nil, end: nil, step: -(1 << 62))].scalars, [7])
    }

    func testBroadcastWhoseResultOverflowsIsRefused() throws {
        // Both operands are empty, but their broadcast [2^32, 2^32, 0] has uncountable strides.
        let column = try Tensor.zeros([1 << 32, 1, 0]), row = try Tensor.zeros([1, 1 << 32, 0])
        assertTensorError("add", mentions: ["[4294967296, 4294967296, 0]", "overflows"]) { try column + row }
    }

    func testAllocationOverTheBudgetIsRefusedWithTheRequestAndTheBudget() throws {
        assertOverBudget(mentions: ["zeros: [100000, 1, 256, 256] needs 24.4 GiB", "memory budget of 64.0 MiB",
                                    "--max-memory", "MEDSYNTH_MAX_MEMORY"]) {
            try Tensor.zeros([100_000, 1, 256, 256])
        }
        // A request that fits is made; one that does not, alone, is refused.
        XCTAssertEqual(try Tensor.ones([2 << 20]).count, 2 << 20)
        assertOverBudget(mentions: ["ones: [16777217]", "needs 64.0 MiB"]) { try Tensor.ones([(16 << 20) + 1]) }
    }

    func testEveryCreationFunctionChecksTheBudget() {
        let huge = [1 << 20, 1 << 10]  // 4 GiB of floats
        assertOverBudget(mentions: ["full:"]) { try Tensor.full(huge, value: 1) }
        assertOverBudget(mentions: ["randn:"]) { try Tensor.randn(huge, seed: 1) }
        assertOverBudget(mentions: ["rand:"]) { try Tensor.rand(huge, seed: 1) }
        assertOverBudget(mentions: ["linspace:"]) { try Tensor.linspace(0, 1, count: 1 << 30) }
        assertOverBudget(mentions: ["arange:"]) { try Tensor.arange(1e9) }
    }

    func testOpOutputsLargerThanTheirInputsCheckTheBudget() throws {
        let column = try Tensor.zeros([1 << 14, 1]), row = try Tensor.zeros([1, 1 << 14])  // 2^28 values together
        assertOverBudget(mentions: ["add: [16384, 16384]"]) { try column + row }
        assertOverBudget(mentions: ["broadcast: [16384, 16384]"]) { try column.broadcast(to: [1 << 14, 1 << 14]) }
        assertOverBudget(mentions: ["matmul: [16384, 16384]"]) { try Tensor.matmul(column, row) }
        assertOverBudget(mentions: ["where:"]) { try Tensor.where(column, row, column) }
        let small = try Tensor.zeros([1, 1, 64, 64])
        assertOverBudget(mentions: ["upsampleNearest:"]) { try Variable(small).upsampleNearest(scale: 256) }
        assertOverBudget(mentions: ["resizeBilinear:"]) { try Variable(small).resizeBilinear(height: 1 << 14, width: 1 << 14) }
        assertOverBudget(mentions: ["concat:"]) { try Tensor.concat(Array(repeating: try Tensor.zeros([1 << 20]), count: 17)) }
    }

    func testPaddingWidthsThatOverflowOrExceedTheBudget() throws {
        let x = try Tensor.arange(4)
        assertTensorError("pad", mentions: ["overflow"]) { try x.padded([(before: Int.max, after: 1)]) }
        for mode: Tensor.PaddingMode in [.constant(0), .replicate] {
            assertOverBudget(mentions: ["pad: [2147483652]"]) { try x.padded([(before: 1 << 30, after: 1 << 30)], mode: mode) }
        }
        XCTAssertEqual(try x.padded([(before: 2, after: 1)], mode: .replicate).scalars, [0, 0, 0, 1, 2, 3, 3])
    }

    func testConvolutionScratchIsChecked() throws {
        // A 1x1 convolution of one 2048 x 2048 image to 256 channels: the output alone is 4 GiB.
        let image = try Tensor.zeros([1, 1, 2048, 2048]), weight = try Tensor.zeros([256, 1, 1, 1])
        assertOverBudget(mentions: ["conv2d"]) { try Variable.conv2d(input: Variable(image), weight: Variable(weight)) }
        // A large kernel: the im2col columns are kh * kw times the input.
        let kernel = try Tensor.zeros([1, 1, 64, 64])
        assertOverBudget(mentions: ["conv2d: the working memory of its products"]) {
            try Variable.conv2d(input: Variable(image), weight: Variable(kernel), padding: 32)
        }
    }

    func testOpsOnExistingTensorsStillWorkUnderALowerBudget() throws {
        let x = try Tensor.ones([1 << 20])  // 4 MiB
        MemoryBudget.limit = 1 << 20
        // Outputs no larger than an input that exists need no new admission.
        XCTAssertEqual(try (x + x).count, 1 << 20)
        XCTAssertEqual((x .> 0.5).count, 1 << 20)
        XCTAssertEqual(x.exp().count, 1 << 20)
        XCTAssertEqual(try x.reshaped([1024, 1024]).shape, [1024, 1024])
    }

    func testALargeRequestCountsTheMemoryAlreadyInUse() throws {
        let resident = try XCTUnwrap(MemoryBudget.residentBytes())
        XCTAssertGreaterThan(resident, 1 << 20)
        // A budget with room for 100 MiB more than the process holds now: 64 MiB fit, 128 MiB
        // (alone under the budget) do not.
        MemoryBudget.limit = resident + (100 << 20)
        XCTAssertEqual(try Tensor.zeros([16 << 20]).count, 16 << 20)
        assertOverBudget(mentions: ["zeros: [33554432] needs 128.0 MiB", "already in use"]) { try Tensor.zeros([32 << 20]) }
    }

    func testSizesParseAndFormat() {
        XCTAssertEqual(MemoryBudget.parseSize("8G"), 8 << 30)
        XCTAssertEqual(MemoryBudget.parseSize("512M"), 512 << 20)
        XCTAssertEqual(MemoryBudget.parseSize("512mib"), 512 << 20)
        XCTAssertEqual(MemoryBudget.parseSize("1.5GB"), 3 << 29)
        XCTAssertEqual(MemoryBudget.parseSize("1048576"), 1 << 20)
        XCTAssertEqual(MemoryBudget.parseSize(" 64K "), 64 << 10)
        for bad in ["", "G", "-1G", "8X", "1e400", "nanG", "99999999999T"] {
            XCTAssertNil(MemoryBudget.parseSize(bad), bad)
        }
        XCTAssertEqual(MemoryBudget.formatSize(26_214_400_000), "24.4 GiB")
        XCTAssertEqual(MemoryBudget.formatSize(512), "512 B")
        XCTAssertGreaterThan(MemoryBudget.defaultLimit, 0)
    }
}
