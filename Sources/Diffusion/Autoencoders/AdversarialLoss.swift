import Engine

/// The hinge adversarial loss of a patch discriminator (Lim and Ye, "Geometric GAN", 2017;
/// the "hinge" loss of LDM's and taming-transformers' autoencoder training), switched on after
/// `startStep` so that the autoencoder first learns to reconstruct.
///
///     discriminator: L_D = mean(relu(1 - D(x))) + mean(relu(1 + D(x^)))
///     generator:     L_G = -mean(D(x^))
///
/// with x the real images and x^ the reconstructions. The autoencoder's loss gets
/// weight * L_G; the discriminator is trained on L_D with its own optimizer.
public struct AdversarialLoss: Sendable {
    /// The weight of L_G in the autoencoder's loss.
    public var weight: Float
    /// The first training step (counting from 0) with an adversarial term.
    public var startStep: Int

    /// An adversarial term of `weight` from step `startStep` on.
    public init(weight: Float = 0.5, startStep: Int = 0) {
        self.weight = weight
        self.startStep = startStep
    }

    /// Whether step `step` has an adversarial term.
    public func isActive(at step: Int) -> Bool { step >= startStep }

    /// mean(relu(1 - real)) + mean(relu(1 + fake)) from the logits of real and reconstructed images.
    public static func hingeDiscriminatorLoss(real: Variable, fake: Variable) throws -> Variable {
        try (1 - real).clamp(min: 0).mean() + (1 + fake).clamp(min: 0).mean()
    }

    /// -mean(fake) from the logits of reconstructed images.
    public static func hingeGeneratorLoss(fake: Variable) throws -> Variable {
        -(try fake.mean())
    }

    /// weight * L_G of `reconstructed` (whose gradient reaches the autoencoder), to add to its
    /// loss at step `step`; nil before `startStep`. The discriminator's parameters also get
    /// gradients from it: zero them before its own step.
    public func generatorTerm(_ discriminator: PatchDiscriminator, reconstructed: Variable, step: Int) throws -> Variable? {
        guard isActive(at: step) else { return nil }
        return try Self.hingeGeneratorLoss(fake: try discriminator(reconstructed)) * weight
    }

    /// L_D for `images` and their reconstructions (as constants: only the discriminator learns
    /// from it) at step `step`; nil before `startStep`.
    public func discriminatorLoss(_ discriminator: PatchDiscriminator, images: Tensor, reconstructed: Tensor, step: Int) throws -> Variable? {
        guard isActive(at: step) else { return nil }
        return try Self.hingeDiscriminatorLoss(real: try discriminator(Variable(images)), fake: try discriminator(Variable(reconstructed)))
    }
}
