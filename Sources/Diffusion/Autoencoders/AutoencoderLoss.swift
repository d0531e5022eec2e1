import Engine

/// The pixel loss between an image and its reconstruction.
public enum ReconstructionLoss: String, Sendable {
    /// Mean absolute error, LDM's choice for its autoencoders (sharper than L2).
    case l1
    /// Mean squared error.
    case l2

    /// The loss of `reconstruction` against the constant `images`, averaged over every value.
    public func callAsFunction(_ reconstruction: Variable, _ images: Variable) throws -> Variable {
        switch self {
        case .l1: return try Loss.l1(reconstruction, images)
        case .l2: return try Loss.meanSquaredError(reconstruction, images)
        }
    }
}

/// The loss of one batch, as `Autoencoder.loss(images:reconstruction:random:)` computes it:
/// the total to call `backward()` on, and its parts as numbers to log.
public struct AutoencoderLoss {
    /// reconstruction + regulariser: the variable to differentiate.
    public var total: Variable
    /// The decoded images [N, C, H, W], for an adversarial term on top.
    public var reconstructed: Variable
    /// The reconstruction loss, per value (L1 or L2).
    public var reconstruction: Float
    /// KL(q(z | x) || N(0, I)) per image, unweighted (KL autoencoder only).
    public var klDivergence: Float?
    /// The VQ terms and the batch's code usage (VQ autoencoder only).
    public var quantization: VectorQuantizer.Quantization?
}

extension Autoencoder {
    /// The training loss of a batch of `images` [N, C, H, W] (LDM's first-stage objective
    /// without its perceptual and adversarial terms; see `AdversarialLoss` for the latter):
    ///
    /// - plain: rec(decode(encode(x)), x);
    /// - KL: rec(decode(z), x) + weight * KL(q(z | x) || N(0, I)), z drawn from q with noise
    ///   from `random` (Kingma and Welling 2014, eq. 10); the KL is summed over each latent and
    ///   averaged over the batch, while rec is a per-value mean: LDM sums rec over each image,
    ///   so a weight w here balances the terms as LDM's kl_weight = w C H W would (4096 w for
    ///   1x64x64 images; LDM's 1e-6 is 2.4e-10 here);
    /// - VQ: rec(decode(z_q), x) + ||sg[z] - z_q||^2 + beta ||z - sg[z_q]||^2 (van den Oord et al.
    ///   2017, eq. 3), z_q the nearest codes with the straight-through gradient.
    ///
    /// rec is `reconstruction`, L1 or L2, averaged over every value.
    public func loss(images: Tensor, reconstruction: ReconstructionLoss = .l1, random: inout RandomStream) throws -> AutoencoderLoss {
        let x = Variable(images)
        switch configuration.regularizer {
        case .none:
            let output = try decode(try encoder(x))
            let rec = try reconstruction(output, x)
            return AutoencoderLoss(total: rec, reconstructed: output, reconstruction: rec.value.scalars[0])
        case .kl(let weight):
            let posterior = try self.posterior(x)
            let output = try decode(try posterior.sample(using: &random))
            let rec = try reconstruction(output, x)
            let kl = try posterior.klDivergence()
            return AutoencoderLoss(total: try rec + kl * weight, reconstructed: output, reconstruction: rec.value.scalars[0],
                                   klDivergence: kl.value.scalars[0])
        case .vq:
            let quantization = try quantize(x)
            let output = try decode(quantization.output)
            let rec = try reconstruction(output, x)
            return AutoencoderLoss(total: try rec + quantization.loss, reconstructed: output, reconstruction: rec.value.scalars[0],
                                   quantization: quantization)
        }
    }
}

extension Autoencoder: TrainableModel {
    public static var trainingInputs: Set<ModelInputError.Argument> { [.reconstruction] }

    /// `loss(images:reconstruction:random:)` on the mini-batch's images (L1 unless told).
    public func trainingObjective(on data: TrainingData) throws -> Trainer.LossFunction {
        guard data.data.shape[1] == configuration.imageChannels else {
            throw ModelInputError(.data, "the autoencoder takes \(configuration.imageChannels)-channel images",
                                  found: ModelInputError.shape(data.data.shape))
        }
        let images = data.data, reconstruction = data.reconstruction ?? .l1
        return { batch, random in
            try self.loss(images: images.samples(at: batch.indices), reconstruction: reconstruction, random: &random).total
        }
    }

    /// Sets the latent scale factor to 1 / std of the training images' latents.
    public func finishTraining(on data: TrainingData) throws {
        try estimateScaleFactor(images: data.data)
    }
}
