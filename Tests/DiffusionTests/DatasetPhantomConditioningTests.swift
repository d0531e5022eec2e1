import XCTest
@testable import Diffusion
@testable import Engine
import Imaging

/// The phantom's images paired with their one-hot masks and Canny edges.
final class DatasetPhantomConditioningTests: XCTestCase {
    func testImagesMasksAndEdgesHaveTheirShapesAndRanges() throws {
        let data = try PhantomConditioningDataset(seed: 4, size: 32, first: 3, count: 3)
        XCTAssertEqual(data.count, 3)
        XCTAssertEqual(data.images.shape, [3, 1, 32, 32])
        XCTAssertEqual(data.masks.shape, [3, 4, 32, 32])
        XCTAssertEqual(data.edges.shape, [3, 1, 32, 32])
        let phantom = try Phantom(seed: 4, size: 32).batch(count: 3, first: 3)
        XCTAssertEqual(data.images, phantom.images * 2 - 1, "the phantom's [0, 1] mapped to [-1, 1]")
        XCTAssertGreaterThanOrEqual(data.images.scalars.min()!, -1)
        XCTAssertLessThanOrEqual(data.images.scalars.max()!, 1)
        XCTAssertLessThan(data.images.scalars.min()!, -0.8, "air is near -1")
        XCTAssertTrue(data.edges.scalars.allSatisfy { $0 == 0 || $0 == 1 })
        let edgeFraction = data.edges.scalars.reduce(0, +) / Float(data.edges.count)
        XCTAssertTrue((0.02...0.2).contains(edgeFraction), "edge fraction \(edgeFraction)")
    }

    func testTheMaskIsOneHotAndMatchesTheLabels() throws {
        let data = try PhantomConditioningDataset(seed: 4, size: 32, count: 2)
        let plane = 32 * 32
        var classesSeen = Set<Int>()
        for n in 0..<2 {
            for i in 0..<plane {
                let channels = (0..<4).map { data.masks.scalars[(n * 4 + $0) * plane + i] }
                XCTAssertEqual(channels.reduce(0, +), 1)
                let label = Int(data.labels.scalars[n * plane + i])
                XCTAssertEqual(channels[label], 1)
                classesSeen.insert(label)
            }
        }
        XCTAssertEqual(classesSeen, [0, 1, 2, 3], "background, RV, myocardium and LV all appear")
    }

    func testEdgesAreImagingsCannyOfTheImage() throws {
        let data = try PhantomConditioningDataset(seed: 9, size: 48, count: 2, edgeSigma: 1.5,
                                                  edgeThresholds: .quantiles(low: 0.7, high: 0.85))
        XCTAssertEqual(data.edges, try canny(data.images, sigma: 1.5, thresholds: .quantiles(low: 0.7, high: 0.85)))
        let sharper = try PhantomConditioningDataset(seed: 9, size: 48, count: 2, edgeSigma: 0.8)
        XCTAssertNotEqual(sharper.edges, data.edges)
    }

    func testConditionSelectionStacksChannelsWithNamedGroups() throws {
        let data = try PhantomConditioningDataset(seed: 4, size: 32, count: 2)
        let both = try data.conditions([.mask, .edges])
        XCTAssertEqual(both.tensor.shape, [2, 5, 32, 32])
        XCTAssertEqual(both.layout.groups.map(\.name), ["mask", "edges"])
        XCTAssertEqual(try both.layout.channelRange(of: "mask"), 0..<4)
        XCTAssertEqual(try both.layout.channelRange(of: "edges"), 4..<5)
        XCTAssertEqual(try both.tensor[.all, .range(0..<4)], data.masks)
        XCTAssertEqual(try both.tensor[.all, .range(4..<5)], data.edges)
        let edgesFirst = try data.conditions([.edges, .mask])
        XCTAssertEqual(try edgesFirst.layout.channelRange(of: "edges"), 0..<1)
        XCTAssertEqual(try edgesFirst.layout.channelRange(of: "mask"), 1..<5)
        XCTAssertEqual(try data.conditions([.mask]).tensor, data.masks)
        XCTAssertEqual(try data.conditions([.edges]).layout.groups, [ConditionGroup(name: "edges", channels: 1)])
        XCTAssertThrowsError(try data.conditions([]))
        XCTAssertThrowsError(try data.conditions([.mask, .mask]))
    }

    func testBothPhasesInterleaveEndDiastoleAndEndSystole() throws {
        let both = try PhantomConditioningDataset(seed: 4, size: 32, first: 1, count: 2, phases: .endDiastoleAndSystole)
        let diastole = try PhantomConditioningDataset(seed: 4, size: 32, first: 1, count: 2, phases: .fixed(0))
        let systole = try PhantomConditioningDataset(seed: 4, size: 32, first: 1, count: 2, phases: .fixed(1))
        XCTAssertEqual(both.count, 4)
        XCTAssertEqual(try both.images.samples(at: [0, 2]), diastole.images)
        XCTAssertEqual(try both.labels.samples(at: [1, 3]), systole.labels)
        // The LV cavity (label 3) is smaller at end-systole.
        let lv = { (labels: Tensor) in labels.scalars.filter { $0 == 3 }.count }
        XCTAssertLessThan(lv(systole.labels), lv(diastole.labels))
    }
}
