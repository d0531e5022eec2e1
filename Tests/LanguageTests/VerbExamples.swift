import Formats
import Foundation
import TestSupport

/// What the verbs' examples (`Verb.example`) need bound before they run: small values of the
/// names they use. Shared by the tests that run every example (as it is, stopped by Ctrl-C, or
/// with one argument made hostile).
enum VerbExamples {
    /// Run in a folder of the test's own: it writes scan.nii.gz there for `load`'s example, and
    /// two subjects' images and labels under data/ for `dataset`'s.
    static let setup = """
        p = phantom n=2 size=32 seed=1
        m = onehot p.label classes=4
        e = edges p.image
        x = p.image
        net = unet latent=4 cond={mask: 4, edges: 1} widths=[8, 16] heads=2 groups=4 seed=1
        xt = randn [2, 4, 8, 8] seed=1
        save x[0] "scan.nii.gz"
        save x[0] "data/s1/image.nii.gz"
        save p.label[0] "data/s1/label.nii.gz"
        save x[1] "data/s2/image.nii.gz"
        save p.label[1] "data/s2/label.nii.gz"
        """

    /// Writes the files the examples read besides setup's: `feature_network`'s weights
    /// (resnet50.safetensors, the parity fixture's deterministic ResNet-50) in `directory`.
    static func writeFiles(in directory: String) throws {
        struct Layouts: Decodable { let resnet50_parameters: StateDictLayout }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../DiffusionTests/Fixtures/feature_networks.json")
        let layout = try JSONDecoder().decode(Layouts.self, from: Data(contentsOf: fixture)).resnet50_parameters
        try SafetensorsFile.write(
            try deterministicWeights(layout.entries).map { (name: $0.path, tensor: $0.tensor) },
            to: (directory as NSString).appendingPathComponent("resnet50.safetensors"), durable: false)
    }
}
