import XCTest
@testable import Engine

/// K-means and the VQ codebook's moving averages, k-means start and dead-code restarts, by hand.
final class CodebookLearningTests: XCTestCase {
    func testKMeansFindsSeparatedClusters() throws {
        // Three blobs of five points around (0, 0), (10, 0) and (0, 10), interleaved.
        let offsets: [(Float, Float)] = [(0, 0), (0.5, 0), (-0.5, 0), (0, 0.5), (0, -0.5)]
        var rows: [Float] = []
        for offset in offsets {
            for centre: (Float, Float) in [(0, 0), (10, 0), (0, 10)] { rows += [centre.0 + offset.0, centre.1 + offset.1] }
        }
        let clustering = try KMeans.cluster(try Tensor(shape: [15, 2], scalars: rows), count: 3)
        XCTAssertEqual(clustering.counts, [5, 5, 5])
        let centroids = stride(from: 0, to: 6, by: 2).map { [clustering.centroids.scalars[$0], clustering.centroids.scalars[$0 + 1]] }
        XCTAssertEqual(Set(centroids.map { "\($0[0].rounded()),\($0[1].rounded())" }), ["0.0,0.0", "10.0,0.0", "0.0,10.0"])
        for centroid in centroids { XCTAssertEqual(abs(centroid[0] - centroid[0].rounded()) + abs(centroid[1] - centroid[1].rounded()), 0, accuracy: 1e-6) }
    }

    func testKMeansGivesAnEmptyClusterTheWorstServedRow() throws {
        // Both starting centroids are (0, 0): the second cluster is empty and takes (9, 9).
        let clustering = try KMeans.cluster(try Tensor(shape: [4, 2], scalars: [0, 0, 0, 0, 0, 0, 9, 9]), count: 2)
        XCTAssertEqual(clustering.centroids.scalars, [0, 0, 9, 9])
        XCTAssertEqual(clustering.counts, [3, 1])
    }

    func quantizer(codes: Int) throws -> VectorQuantizer {
        var random = RandomStream(seed: 1)
        return try VectorQuantizer(codes: codes, dimension: 1, learning: .movingAverage(decay: 0.5), random: &random)
    }

    /// One image of four positions of one channel.
    func row(_ values: [Float]) throws -> Variable {
        Variable(try Tensor(shape: [1, 1, 1, values.count], scalars: values), requiresGradient: true)
    }

    func testMovingAveragesStartFromKMeansAndFollowTheOutputs() throws {
        let vq = try quantizer(codes: 2)
        // Step 1: k-means of 0, 0.2, 5, 5.2 gives 0.1 and 5.1, two positions each; the averages
        // (decay 0.5) of the same batch leave them there.
        let first = try vq(try row([0, 0.2, 5, 5.2]))
        XCTAssertEqual(first.indices.scalars, [0, 0, 1, 1])
        assertClose(vq.codebook.value.scalars, [0.1, 5.1])
        assertClose(vq.cluster_size!.value.scalars, [2, 2])
        // Without a codebook loss, the VQ term is beta times the commitment.
        XCTAssertEqual(try first.loss.value.item(), 0.25 * (try first.commitmentLoss.value.item()), accuracy: 1e-7)
        // Step 2: the first cluster's outputs move to 1 and 1.2: m_0 = 0.5 * 0.2 + 0.5 * 2.2 = 1.2,
        // N_0 = 2, so e_0 = 0.6 (the smoothing changes the sixth digit). The step's output used the old codes.
        let second = try vq(try row([1, 1.2, 5, 5.2]))
        assertClose(second.output.value.scalars, [0.1, 0.1, 5.1, 5.1])
        assertClose(vq.codebook.value.scalars, [0.6, 5.1], accuracy: 1e-5)
        XCTAssertEqual(second.restartedCodes, 0)
    }

    func testUnusedCodesRestartAtTheWorstServedOutputs() throws {
        let vq = try quantizer(codes: 3)
        // k-means of 0, 0.2, 5, 5.2 with three codes: 0, 0.2 and 5.1.
        _ = try vq(try row([0, 0.2, 5, 5.2]))
        assertClose(vq.codebook.value.scalars, [0, 0.2, 5.1], accuracy: 1e-4)
        // Only the third code is chosen now: the others' average use halves to 0.5, below 1, and
        // they restart at the two outputs farthest from their codes (5.4, then 4.9).
        let step = try vq(try row([5.4, 5.0, 4.9, 5.1]))
        XCTAssertEqual(step.restartedCodes, 2)
        assertClose(Array(vq.codebook.value.scalars.prefix(2)), [5.4, 4.9], accuracy: 1e-4)
        assertClose(Array(vq.cluster_size!.value.scalars.prefix(2)), [1, 1])
    }

    func testNothingLearnsOutsideATrainingStep() throws {
        let vq = try quantizer(codes: 2)
        let start = vq.codebook.value
        _ = try GradientMode.withoutGradients { try vq(try row([0, 0.2, 5, 5.2])) }
        vq.setTraining(false)
        _ = try vq(try row([0, 0.2, 5, 5.2]))
        XCTAssertEqual(vq.codebook.value, start)
        XCTAssertEqual(vq.cluster_size!.value.scalars, [0, 0])
        // The gradient-trained codebook has no moving averages at all.
        var random = RandomStream(seed: 1)
        XCTAssertNil(try VectorQuantizer(codes: 2, dimension: 1, random: &random).cluster_size)
        XCTAssertThrowsError(try VectorQuantizer(codes: 2, dimension: 1, learning: .movingAverage(decay: 1), random: &random))
    }

    func assertClose(_ values: [Float], _ expected: [Float], accuracy: Float = 1e-6, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(values.count, expected.count, file: file, line: line)
        for (value, wanted) in zip(values, expected) { XCTAssertEqual(value, wanted, accuracy: accuracy, "\(values)", file: file, line: line) }
    }
}
