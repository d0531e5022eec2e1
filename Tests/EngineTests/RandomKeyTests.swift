import Foundation
import XCTest
@testable import Engine

final class RandomKeyTests: XCTestCase {
    /// The path's stream numbers, from an independent Python implementation of the documented
    /// hash (FNV-1a 64 over each component's 8-byte little-endian length and UTF-8 bytes, then
    /// SplitMix64's finaliser). If these change, every number medsynth draws changes.
    func testStreamNumbersMatchTheDocumentedHash() {
        XCTAssertEqual(RandomKey(seed: 1, path: ["subject", "#3", "anatomy"]).streamNumber, 0xc245_4927_cfd7_76a7)
        XCTAssertEqual(RandomKey(seed: 1, path: ["cell", "x#1", "randn", "1"]).streamNumber, 0xc97c_9fe3_ed2e_cfc9)
        XCTAssertEqual(RandomKey(seed: 1, path: ["ab", "c"]).streamNumber, 0x482f_6f54_3bbc_5465)
        XCTAssertEqual(RandomKey(seed: 1, path: ["a", "bc"]).streamNumber, 0x461d_2521_4179_d9fb)
    }

    /// The root key is stream 0, so `seed=K` draws what `Tensor.randn(_:seed: K)` always drew;
    /// the seed is the Philox key and does not enter the stream number.
    func testTheRootKeyIsStreamZeroOfItsSeed() throws {
        XCTAssertEqual(RandomKey(seed: 42).stream, RandomStream(seed: 42))
        XCTAssertEqual(try Tensor.randn([3, 5], random: RandomKey(seed: 42)), try Tensor.randn([3, 5], seed: 42))
        XCTAssertEqual(RandomKey(seed: 1, path: ["a"]).streamNumber, RandomKey(seed: 2, path: ["a"]).streamNumber)
        XCTAssertNotEqual(try Tensor.randn([4], random: RandomKey(seed: 1, path: ["a"])),
                          try Tensor.randn([4], random: RandomKey(seed: 2, path: ["a"])))
    }

    func testChildrenAndItemsExtendThePath() {
        let key = RandomKey(seed: 7).child("subject").item(3)
        XCTAssertEqual(key, RandomKey(seed: 7, path: ["subject", "#3"]))
        XCTAssertEqual(key.description, "seed 7: subject/#3")
        XCTAssertEqual(RandomKey(seed: 7).description, "seed 7")
        // Siblings, parent and child all name different streams.
        let streams = [key, key.child("anatomy"), key.child("noise"), RandomKey(seed: 7).child("subject").item(4)]
            .map(\.streamNumber)
        XCTAssertEqual(Set(streams).count, 4)
        XCTAssertFalse(streams.contains(0))
    }

    /// A key survives encoding, as training checkpoints and cache keys keep it.
    func testAKeyRoundTripsThroughCodable() throws {
        let key = RandomKey(seed: .max, path: ["ä/ü", "", "#0"])
        XCTAssertEqual(try JSONDecoder().decode(RandomKey.self, from: JSONEncoder().encode(key)), key)
    }

    /// Item b of a per-item draw comes from its own stream alone: a batch of 2 is the first 2
    /// items of a batch of 5, and each stream moves past its draw.
    func testPerItemDrawsDoNotDependOnTheBatch() throws {
        let key = RandomKey(seed: 3, path: ["items"])
        var fiveStreams = (0..<5).map { key.item($0).stream }, twoStreams = (0..<2).map { key.item($0).stream }
        let five = try Tensor.randn([5, 2, 3], items: &fiveStreams)
        let two = try Tensor.randn([2, 2, 3], items: &twoStreams)
        XCTAssertEqual(Array(five.scalars.prefix(12)), two.scalars)
        XCTAssertEqual(Array(five.scalars[6..<12]), try Tensor.randn([2, 3], random: key.item(1)).scalars)
        var streams = [key.item(0).stream]
        _ = try Tensor.randn([1, 6], items: &streams)
        XCTAssertEqual(streams[0].position, 2)
        var wrong = [key.stream]
        XCTAssertThrowsError(try Tensor.randn([2, 3], items: &wrong))
    }
}
