import Foundation

/// One subject's anatomy: every shape of the slice in normalised coordinates (see `Ellipse`) and
/// the intensity of every tissue, drawn from `PhantomDraws`. `Phantom` documents the elements
/// and their intensity model; this type holds them and says what lies at a point.
///
/// The image is in radiological convention: the patient's right on the image left, anterior at
/// the top. The slice is drawn as an axial-like short-axis view of the mid-ventricle.
struct PhantomAnatomy: Sendable {
    /// The mean intensity of each tissue before bias, blur and noise (jittered per subject).
    struct Intensities: Sendable {
        var fat, muscle, mediastinum, lung, liver, marrow, cortex, blood, myocardium, ribMarrow, ribCortex: Float
    }

    let intensities: Intensities
    let body: Ellipse
    let muscle: Ellipse
    let cavity: Ellipse
    let ribs: [(cortex: Ellipse, marrow: Ellipse)]
    let lungs: [Ellipse]
    let liver: Ellipse
    let vertebra: Ellipse
    let vertebraMarrow: Ellipse
    let aorta: Ellipse
    /// The LV blood pool (label 3).
    let lvCavity: Ellipse
    /// The outer (epicardial) border of the LV myocardium; between it and `lvCavity` is label 2.
    let epicardium: Ellipse
    /// The RV blood pool, outside `epicardium` (label 1).
    let rvCavity: Ellipse
    /// The RV free wall: the shell just outside `rvCavity` (drawn as myocardium, not labelled,
    /// as in ACDC, whose RV label is the cavity only).
    let rvWall: Ellipse
    /// The cardiac phase: 0 end-diastole, 1 end-systole.
    let phase: Float

    /// Draws a subject. `phase` overrides the drawn cardiac phase (the draw is made either way,
    /// so every other parameter stays the same).
    init(draws d: inout PhantomDraws, phase requestedPhase: Float?) {
        // Contrast: each tissue's intensity jittered by up to ±10 %, bright-blood cine (bSSFP-like).
        intensities = Intensities(
            fat: d.jitter(0.80, by: 0.1), muscle: d.jitter(0.30, by: 0.1),
            mediastinum: d.jitter(0.38, by: 0.1), lung: d.jitter(0.05, by: 0.2),
            liver: d.jitter(0.45, by: 0.1), marrow: d.jitter(0.50, by: 0.1),
            cortex: d.jitter(0.75, by: 0.1), blood: d.jitter(0.88, by: 0.08),
            myocardium: d.jitter(0.24, by: 0.1), ribMarrow: d.jitter(0.62, by: 0.1),
            ribCortex: d.jitter(0.10, by: 0.2))

        // Body: a wide ellipse (the thorax is wider than deep), then fat and muscle shells inside it.
        let body = Ellipse(center: d.jitter(SIMD2(0, 0.04), by: 0.03),
                           radii: SIMD2(d.uniform(0.82...0.90), d.uniform(0.62...0.70)),
                           angle: d.uniform(-0.05...0.05))
        let muscle = body.inset(by: d.uniform(0.035...0.065))
        let cavity = muscle.inset(by: d.uniform(0.05...0.08))
        (self.body, self.muscle, self.cavity) = (body, muscle, cavity)

        // Ribs: 5 to 7 cross-sections along the anterior and lateral chest wall, in the muscle shell.
        let ribCount = 5 + Int(d.uniform() * 3)
        let ribDepth = (muscle.radii.x - cavity.radii.x) * 0.5
        let ribSize = d.uniform(0.022...0.03)
        var ribs: [(cortex: Ellipse, marrow: Ellipse)] = []
        for k in 0..<ribCount {
            // Angles from the right lateral wall over the top to the left lateral wall (v < 0 is anterior).
            let t = (Float(k) + 0.5) / Float(ribCount)
            let theta = Float.pi * (1.05 + 0.9 * t) + d.uniform(-0.06...0.06)
            let rim = SIMD2(cosf(theta), sinf(theta))
            let radii = muscle.radii - SIMD2(repeating: ribDepth)
            let center = muscle.center + rim * radii
            let cortex = Ellipse(center: center, radii: SIMD2(ribSize * 1.5, ribSize), angle: theta + .pi / 2)
            ribs.append((cortex, cortex.inset(by: ribSize * 0.45)))
        }
        self.ribs = ribs

        // Lungs: the right lung (image left) sits above the liver dome, the left (image right) beside the heart.
        lungs = [
            Ellipse(center: d.jitter(SIMD2(-0.40, -0.12), by: 0.04),
                    radii: SIMD2(d.uniform(0.26...0.32), d.uniform(0.36...0.44)), angle: d.uniform(-0.3...0.1)),
            Ellipse(center: d.jitter(SIMD2(0.44, -0.04), by: 0.04),
                    radii: SIMD2(d.uniform(0.24...0.30), d.uniform(0.38...0.46)), angle: d.uniform(-0.1...0.3)),
        ]
        liver = Ellipse(center: d.jitter(SIMD2(-0.36, 0.30), by: 0.05),
                        radii: SIMD2(d.uniform(0.32...0.42), d.uniform(0.20...0.28)), angle: d.uniform(-0.3...0.1))

        // Spine: the vertebral body at the back of the thoracic cavity; the descending aorta
        // lies anterior and to the patient's left of it (image right).
        let vertebraCenter = SIMD2(body.center.x + d.uniform(-0.03...0.03), cavity.center.y + cavity.radii.y - 0.06)
        let vertebraRadius = d.uniform(0.085...0.11)
        vertebra = Ellipse(center: vertebraCenter, radii: SIMD2(vertebraRadius * 1.1, vertebraRadius))
        vertebraMarrow = vertebra.inset(by: 0.018)
        aorta = Ellipse(center: vertebraCenter + SIMD2(vertebraRadius + d.uniform(0.05...0.08), -vertebraRadius * d.uniform(1.0...1.5)),
                        radii: SIMD2(repeating: d.uniform(0.045...0.065)))

        // Heart. Myocardial area is conserved over the cycle, so as the cavity shrinks from
        // end-diastole (phase 0) to end-systole (phase 1) the wall thickens.
        let drawnPhase = d.uniform()
        phase = requestedPhase ?? drawnPhase
        let heartCenter = d.jitter(SIMD2(0.08, -0.04), by: 0.06)
        let heartAngle = d.uniform(-0.35...0.35)
        let elongation = d.uniform(1.0...1.15)
        let cavityDiastole = d.uniform(0.14...0.18)
        let wallDiastole = d.uniform(0.045...0.06)
        let cavityRadius = cavityDiastole * (1 - 0.32 * phase)
        let outerDiastole = cavityDiastole + wallDiastole
        let outerRadius = (cavityRadius * cavityRadius + outerDiastole * outerDiastole - cavityDiastole * cavityDiastole).squareRoot()
        lvCavity = Ellipse(center: heartCenter, radii: SIMD2(cavityRadius * elongation, cavityRadius / elongation), angle: heartAngle)
        epicardium = Ellipse(center: heartCenter, radii: SIMD2(outerRadius * elongation, outerRadius / elongation), angle: heartAngle)

        // The RV wraps the LV on the patient's anterior right (image upper left): an ellipse
        // centred beyond the septum, long across that direction, minus the LV.
        let rvDirection = -0.75 * Float.pi + heartAngle + d.uniform(-0.2...0.2)
        let rvScale = outerDiastole * (1 - 0.25 * phase)
        let rvOffset = rvScale * d.uniform(0.5...0.65)
        rvCavity = Ellipse(center: heartCenter + rvOffset * SIMD2(cosf(rvDirection), sinf(rvDirection)),
                           radii: SIMD2(rvScale * d.uniform(1.0...1.1), rvScale * d.uniform(1.35...1.55)),
                           angle: rvDirection)
        rvWall = rvCavity.inset(by: -d.uniform(0.012...0.02))
    }

    /// The intensity and ACDC label at a point: shapes painted back to front, so a later one
    /// covers an earlier one.
    func sample(_ p: SIMD2<Float>) -> (intensity: Float, label: Float) {
        let t = intensities
        guard body.contains(p) else { return (0, 0) }
        var value = t.fat
        if muscle.contains(p) { value = t.muscle }
        for rib in ribs where rib.cortex.contains(p) { value = rib.marrow.contains(p) ? t.ribMarrow : t.ribCortex }
        if cavity.contains(p) {
            value = t.mediastinum
            if lungs.contains(where: { $0.contains(p) }) { value = t.lung }
            if liver.contains(p) { value = t.liver }
        }
        if vertebra.contains(p) { value = vertebraMarrow.contains(p) ? t.marrow : t.cortex }
        if aorta.contains(p) { value = t.blood }
        if epicardium.contains(p) {
            return lvCavity.contains(p) ? (t.blood, 3) : (t.myocardium, 2)
        }
        if rvCavity.contains(p) { return (t.blood, 1) }
        if rvWall.contains(p) { value = t.myocardium }
        return (value, 0)
    }
}
