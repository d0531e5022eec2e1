import XCTest
import Engine
@testable import Imaging

/// The phantom: determinism, sizes, plausible heart labels, the cardiac cycle, tissue contrast
/// and the noise level.
final class PhantomTests: XCTestCase {
    /// The pixels of plane `k` of a [N, 1, S, S] tensor.
    func plane(_ t: Tensor, _ k: Int) -> ArraySlice<Float> {
        let n = t.shape[2] * t.shape[3]
        return t.scalars[k * n ..< (k + 1) * n]
    }

    func mean(_ values: [Float]) -> Float { values.reduce(0, +) / Float(max(values.count, 1)) }

    func testSameSeedSameBitsAndSubjectsDoNotDependOnTheBatch() throws {
        let phantom = try Phantom(seed: 42, size: 64)
        let a = try phantom.batch(count: 5)
        let b = try phantom.batch(count: 5)
        XCTAssertEqual(a.images.scalars, b.images.scalars)
        XCTAssertEqual(a.labels.scalars, b.labels.scalars)
        let alone = try phantom.batch(count: 1, first: 3)
        XCTAssertEqual(Array(plane(a.images, 3)), alone.images.scalars)
        XCTAssertEqual(Array(plane(a.labels, 3)), alone.labels.scalars)
        let otherSeed = try Phantom(seed: 43, size: 64).batch(count: 1, first: 3)
        XCTAssertNotEqual(otherSeed.images.scalars, alone.images.scalars)
    }

    func testSizesFrom32To256AndNothingElse() throws {
        for size in [32, 64, 256] {
            let (images, labels) = try Phantom(seed: 1, size: size).batch(count: 2)
            XCTAssertEqual(images.shape, [2, 1, size, size])
            XCTAssertEqual(labels.shape, [2, 1, size, size])
            XCTAssertEqual(Set(labels.scalars), [0, 1, 2, 3], "size \(size)")
            XCTAssertGreaterThanOrEqual(images.scalars.min()!, 0)
            XCTAssertLessThanOrEqual(images.scalars.max()!, 1)
        }
        for size in [31, 257] {
            XCTAssertThrowsError(try Phantom(seed: 1, size: size)) { error in
                XCTAssertEqual("\(error)", "Phantom: size must be in 32...256, got \(size)")
            }
        }
        XCTAssertThrowsError(try Phantom(seed: 1, size: 64).batch(count: 0))
        XCTAssertThrowsError(try Phantom(seed: 1, size: 64).batch(count: 1, phase: 1.5))
    }

    func testTheSameAnatomyAtEverySize() throws {
        // The LV area fraction of a subject hardly depends on the resolution.
        let fractions = try [64, 256].map { size in
            let labels = try Phantom(seed: 9, size: size).batch(count: 1, first: 2, phase: 0).labels.scalars
            return Float(labels.filter { $0 == 3 }.count) / Float(labels.count)
        }
        XCTAssertEqual(fractions[0], fractions[1], accuracy: 0.15 * fractions[1])
    }

    func testLabelAreasArePlausibleAndTheMyocardiumSurroundsTheLV() throws {
        let (_, labels) = try Phantom(seed: 7, size: 128).batch(count: 8)
        let element = StructuringElement.square(radius: 2)
        for k in 0..<8 {
            let map = Array(plane(labels, k))
            let fraction = { (c: Float) in Float(map.filter { $0 == c }.count) / Float(map.count) }
            // ACDC mid-ventricular slices: the LV covers roughly 0.5 % to 3 % of the field of view.
            XCTAssertTrue((0.004...0.03).contains(fraction(3)), "LV fraction \(fraction(3))")
            XCTAssertTrue((0.004...0.03).contains(fraction(2)), "myocardium fraction \(fraction(2))")
            XCTAssertTrue((0.002...0.04).contains(fraction(1)), "RV fraction \(fraction(1))")
            // The ring 2 pixels around the LV is almost all myocardium.
            let lv = try Tensor(shape: [128, 128], scalars: map.map { $0 == 3 ? 1 : 0 })
            let grown = try dilate(lv, element).scalars
            let ring = (0..<map.count).filter { grown[$0] == 1 && map[$0] != 3 }
            let onMyocardium = ring.filter { map[$0] == 2 }.count
            XCTAssertGreaterThan(Float(onMyocardium) / Float(ring.count), 0.95, "subject \(k)")
        }
    }

    func testSystoleHasASmallerLVAndAThickerWall() throws {
        let phantom = try Phantom(seed: 5, size: 128)
        for k in 0..<4 {
            let diastole = try phantom.batch(count: 1, first: k, phase: 0).labels.scalars
            let systole = try phantom.batch(count: 1, first: k, phase: 1).labels.scalars
            let count = { (map: [Float], c: Float) in Float(map.filter { $0 == c }.count) }
            let ratio = count(systole, 3) / count(diastole, 3)
            // Radius × 0.68: area × 0.46.
            XCTAssertEqual(ratio, 0.46, accuracy: 0.06, "subject \(k)")
            // The myocardial area is kept, so the wall thickens.
            XCTAssertEqual(count(systole, 2) / count(diastole, 2), 1, accuracy: 0.1)
        }
    }

    func testTissueContrast() throws {
        let phantom = try Phantom(seed: 11, size: 128)
        let (images, labels) = try phantom.batch(count: 6)
        for k in 0..<6 {
            let image = Array(plane(images, k)), map = Array(plane(labels, k))
            let lv = mean((0..<map.count).filter { map[$0] == 3 }.map { image[$0] })
            let myocardium = mean((0..<map.count).filter { map[$0] == 2 }.map { image[$0] })
            XCTAssertGreaterThan(lv, myocardium + 0.35, "subject \(k)")
            // The lungs: the anatomy's lung pixels, away from the heart.
            var draws = PhantomDraws(RandomKey(seed: 11).child("subject").item(k).child("anatomy").stream)
            let anatomy = PhantomAnatomy(draws: &draws, phase: nil)
            var lung: [Float] = [], body: [Float] = []
            for i in 0..<128 {
                for j in 0..<128 {
                    let p = SIMD2((Float(j) + 0.5) / 64 - 1, (Float(i) + 0.5) / 64 - 1)
                    let (value, label) = anatomy.sample(p)
                    guard anatomy.body.contains(p), label == 0 else { continue }
                    if value == anatomy.intensities.lung { lung.append(image[i * 128 + j]) } else { body.append(image[i * 128 + j]) }
                }
            }
            XCTAssertGreaterThan(lung.count, 800)
            XCTAssertLessThan(mean(lung), 0.15, "subject \(k)")
            XCTAssertLessThan(mean(lung), myocardium - 0.05)
            XCTAssertLessThan(mean(lung), mean(body) - 0.2)
        }
        // The whole image: much of the field is air or lung, so the mean is low; hardly any pixel saturates.
        let average = mean(images.scalars)
        XCTAssertTrue((0.12...0.3).contains(average), "mean \(average)")
        XCTAssertLessThan(Float(images.scalars.filter { $0 == 1 }.count) / Float(images.count), 0.01)
    }

    func testDifferentSubjectsDiffer() throws {
        let (images, labels) = try Phantom(seed: 3, size: 64).batch(count: 4)
        for a in 0..<4 {
            for b in (a + 1)..<4 {
                XCTAssertNotEqual(Array(plane(labels, a)), Array(plane(labels, b)))
                let difference = zip(plane(images, a), plane(images, b)).map { abs($0 - $1) }
                XCTAssertGreaterThan(mean(difference), 0.03)
            }
        }
    }

    func testNoiseInTheAirMatchesTheRequestedSigma() throws {
        // In air the image is Rayleigh noise: E[m^2] = 2 sigma^2. The corners are outside every body.
        for sigma: Float in [0.02, 0.05] {
            let (images, _) = try Phantom(seed: 8, size: 128, noiseSigma: sigma).batch(count: 3)
            var squares: [Float] = []
            for k in 0..<3 {
                let image = Array(plane(images, k))
                for i in 0..<14 { for j in 0..<14 {
                    for (y, x) in [(i, j), (i, 127 - j), (127 - i, j), (127 - i, 127 - j)] {
                        squares.append(image[y * 128 + x] * image[y * 128 + x])
                    }
                } }
            }
            let estimate = (mean(squares) / 2).squareRoot()
            XCTAssertEqual(estimate, sigma, accuracy: 0.05 * sigma)
        }
        let clean = try Phantom(seed: 8, size: 64, noiseSigma: 0).batch(count: 1).images.scalars
        XCTAssertEqual(clean[0], 0)
    }
}
