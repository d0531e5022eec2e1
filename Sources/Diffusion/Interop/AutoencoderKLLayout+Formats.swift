import Engine
import Formats

extension AutoencoderKLLayout {
    /// diffusers' class name of this network in `config.json`.
    public static let diffusersClassName = "AutoencoderKL"

    /// The layout diffusers' `config.json` of an `AutoencoderKL` describes (with diffusers'
    /// defaults for members left out), and its `scaling_factor`.
    public static func diffusers(_ json: JSONValue, source: String = "config.json") throws -> (layout: AutoencoderKLLayout, scale: Float) {
        let config = try ConfigurationReader(json, source: source)
        if let name = json["_class_name"]?.string, name != diffusersClassName {
            throw CheckpointError(parameter: nil, "\(source) describes a \(name), not an \(diffusersClassName)")
        }
        try config.refuseUnless("act_fn", in: [.string("silu")], because: "SiLU activations only")
        try config.refuseUnless("shift_factor", in: [], because: "latents are scaled without a shift")
        try config.refuseUnless("latents_mean", in: [], because: "latents are scaled by one factor")
        try config.refuseUnless("latents_std", in: [], because: "latents are scaled by one factor")
        let widths = try config.ints("block_out_channels", default: [64])
        for (key, type) in [("down_block_types", "DownEncoderBlock2D"), ("up_block_types", "UpDecoderBlock2D")] {
            let types = try config.strings(key, default: Array(repeating: type, count: widths.count))
            guard types.count == widths.count, types.allSatisfy({ $0 == type }) else {
                throw CheckpointError(parameter: nil, "\(source): \"\(key)\" must be \(widths.count) times \(type), got \(types)")
            }
        }
        let (inputs, outputs) = (try config.int("in_channels", default: 3, in: 1...4096), try config.int("out_channels", default: 3, in: 1...4096))
        guard inputs == outputs else {
            throw CheckpointError(parameter: nil, "\(source): an autoencoder's in_channels and out_channels must agree, got \(inputs) and \(outputs)")
        }
        let blocks = try config.int("layers_per_block", default: 1, in: 1...7)
        let middle: Middle = try config.bool("mid_block_add_attention", default: true) ? .attention : .resnets
        let layout = AutoencoderKLLayout(
            imageChannels: inputs, latentChannels: try config.int("latent_channels", default: 4, in: 1...4096), widths: widths,
            encoderBlocks: Array(repeating: blocks, count: widths.count), decoderBlocks: Array(repeating: blocks + 1, count: widths.count),
            attentionLevels: Array(repeating: false, count: widths.count), encoderMiddle: middle, decoderMiddle: middle,
            groups: try config.int("norm_num_groups", default: 32, in: 1...4096), epsilon: 1e-6, activatesOutput: true,
            moments: try config.bool("use_quant_conv", default: true) ? .quantConv : .direct,
            postQuantConv: try config.bool("use_post_quant_conv", default: true), sampleSize: try config.sampleSize())
        try layout.validate()
        let scale = Float(try config.double("scaling_factor", default: 0.18215))
        guard scale > 0, scale.isFinite else { throw config.failure("scaling_factor", "a positive number") }
        return (layout, scale)
    }

    /// diffusers' `config.json` for this layout with `scale` as its `scaling_factor`; a layout
    /// diffusers cannot build (MONAI's) is refused, naming what differs.
    public func diffusersConfig(scale: Float) throws -> JSONValue {
        let blocks = encoderBlocks.first ?? 1
        var differences: [String] = []
        if Set(encoderBlocks).count > 1 || decoderBlocks != encoderBlocks.map({ $0 + 1 }) {
            differences.append("its blocks per level (\(encoderBlocks) and \(decoderBlocks)) are not layers_per_block and one more")
        }
        if attentionLevels.contains(true) { differences.append("it has attention in levels") }
        if encoderMiddle != decoderMiddle || encoderMiddle == .none { differences.append("its middle blocks are not a pair diffusers builds") }
        if !activatesOutput { differences.append("it has no SiLU before its last convolutions") }
        if moments == .separate { differences.append("it has separate mean and log-variance convolutions") }
        guard differences.isEmpty else {
            throw ModuleError("AutoencoderKL: diffusers cannot build this layout: " + differences.joined(separator: "; "))
        }
        func whole(_ value: Int) -> JSONValue { .number(String(value)) }
        let members: [(key: String, value: JSONValue)] = [
            ("_class_name", .string(Self.diffusersClassName)),
            ("_diffusers_version", .string("0.31.0")),
            ("act_fn", .string("silu")),
            ("block_out_channels", .array(widths.map(whole))),
            ("down_block_types", .array(widths.map { _ in .string("DownEncoderBlock2D") })),
            ("force_upcast", .bool(true)),
            ("in_channels", whole(imageChannels)),
            ("latent_channels", whole(latentChannels)),
            ("latents_mean", .null),
            ("latents_std", .null),
            ("layers_per_block", whole(blocks)),
            ("mid_block_add_attention", .bool(encoderMiddle == .attention)),
            ("norm_num_groups", whole(groups)),
            ("out_channels", whole(imageChannels)),
            ("sample_size", sampleSize.map(whole) ?? whole(32)),
            ("scaling_factor", JSONValue.number(scale)),
            ("shift_factor", .null),
            ("up_block_types", .array(widths.map { _ in .string("UpDecoderBlock2D") })),
            ("use_post_quant_conv", .bool(postQuantConv)),
            ("use_quant_conv", .bool(moments == .quantConv)),
        ]
        return .object(members)
    }

    /// MONAI's class of this network, as a MONAI bundle's `_target_` names it.
    public static let monaiTarget = "monai.networks.nets.AutoencoderKL"

    /// The layout MONAI's `AutoencoderKL(**arguments)` builds in 2-D.
    public static func monai(_ json: JSONValue, source: String = "MONAI arguments") throws -> AutoencoderKLLayout {
        let config = try ConfigurationReader(json, source: source)
        try MONAIArguments.check(config, target: monaiTarget)
        try config.refuseUnless("use_convtranspose", in: [.bool(false)], because: "upsampling is nearest, then a convolution")
        let widths = try config.ints("channels", default: [32, 64, 64, 64])
        let blocks = try config.ints("num_res_blocks", count: widths.count, default: Array(repeating: 2, count: widths.count))
        let attention = try config.bools("attention_levels", default: [false, false, true, true])
        guard blocks.count == widths.count, attention.count == widths.count else {
            throw CheckpointError(parameter: nil, "\(source): channels, num_res_blocks and attention_levels must have one entry per level")
        }
        let (inputs, outputs) = (try config.int("in_channels", default: 1, in: 1...4096), try config.int("out_channels", default: 1, in: 1...4096))
        guard inputs == outputs else {
            throw CheckpointError(parameter: nil, "\(source): an autoencoder's in_channels and out_channels must agree, got \(inputs) and \(outputs)")
        }
        let layout = AutoencoderKLLayout(
            imageChannels: inputs, latentChannels: try config.int("latent_channels", default: 3, in: 1...4096), widths: widths,
            encoderBlocks: blocks, decoderBlocks: blocks, attentionLevels: attention,
            encoderMiddle: try config.bool("with_encoder_nonlocal_attn", default: true) ? .attention : .none,
            decoderMiddle: try config.bool("with_decoder_nonlocal_attn", default: true) ? .attention : .none,
            groups: try config.int("norm_num_groups", default: 32, in: 1...4096),
            epsilon: Float(try config.double("norm_eps", default: 1e-6)), activatesOutput: false, moments: .separate, postQuantConv: true)
        try layout.validate()
        return layout
    }

    /// MONAI's constructor arguments for this layout, with `_target_`; a layout MONAI cannot
    /// build (diffusers') is refused, naming what differs.
    public func monaiArguments() throws -> JSONValue {
        var differences: [String] = []
        if decoderBlocks != encoderBlocks { differences.append("its decoder has other block counts than its encoder") }
        if encoderMiddle == .resnets || decoderMiddle == .resnets { differences.append("it has a middle block without attention") }
        if activatesOutput { differences.append("it has a SiLU before its last convolutions") }
        if moments != .separate || !postQuantConv { differences.append("its mean and log-variance come from one convolution") }
        guard differences.isEmpty else {
            throw ModuleError("AutoencoderKL: MONAI cannot build this layout: " + differences.joined(separator: "; "))
        }
        func whole(_ value: Int) -> JSONValue { .number(String(value)) }
        let members: [(key: String, value: JSONValue)] = [
            ("_target_", .string(Self.monaiTarget)),
            ("spatial_dims", whole(2)),
            ("in_channels", whole(imageChannels)),
            ("out_channels", whole(imageChannels)),
            ("num_res_blocks", .array(encoderBlocks.map(whole))),
            ("channels", .array(widths.map(whole))),
            ("attention_levels", .array(attentionLevels.map(JSONValue.bool))),
            ("latent_channels", whole(latentChannels)),
            ("norm_num_groups", whole(groups)),
            ("norm_eps", JSONValue.number(epsilon)),
            ("with_encoder_nonlocal_attn", .bool(encoderMiddle == .attention)),
            ("with_decoder_nonlocal_attn", .bool(decoderMiddle == .attention)),
        ]
        return .object(members)
    }

    /// Every member, as medsynth's checkpoints keep it.
    public var entries: JSONValue {
        func whole(_ value: Int) -> JSONValue { .number(String(value)) }
        let members: [(key: String, value: JSONValue)] = [
            ("imageChannels", whole(imageChannels)), ("latentChannels", whole(latentChannels)),
            ("widths", .array(widths.map(whole))), ("encoderBlocks", .array(encoderBlocks.map(whole))),
            ("decoderBlocks", .array(decoderBlocks.map(whole))), ("attentionLevels", .array(attentionLevels.map(JSONValue.bool))),
            ("encoderMiddle", .string(encoderMiddle.rawValue)), ("decoderMiddle", .string(decoderMiddle.rawValue)),
            ("groups", whole(groups)), ("epsilon", JSONValue.number(epsilon)), ("activatesOutput", .bool(activatesOutput)),
            ("moments", .string(moments.rawValue)), ("postQuantConv", .bool(postQuantConv)),
            ("sampleSize", sampleSize.map(whole) ?? .null),
        ]
        return .object(members)
    }

    /// The layout `entries` wrote, checked.
    public init(entries json: JSONValue, source: String) throws {
        let config = try ConfigurationReader(json, source: source)
        func choice<Choice: RawRepresentable<String>>(_ key: String) throws -> Choice {
            guard let value = Choice(rawValue: try config.string(key)) else { throw config.failure(key, "one of the known kinds") }
            return value
        }
        self.init(
            imageChannels: try config.int("imageChannels"), latentChannels: try config.int("latentChannels"),
            widths: try config.ints("widths"), encoderBlocks: try config.ints("encoderBlocks"), decoderBlocks: try config.ints("decoderBlocks"),
            attentionLevels: try config.bools("attentionLevels"), encoderMiddle: try choice("encoderMiddle"),
            decoderMiddle: try choice("decoderMiddle"), groups: try config.int("groups"), epsilon: Float(try config.double("epsilon")),
            activatesOutput: try config.bool("activatesOutput"), moments: try choice("moments"), postQuantConv: try config.bool("postQuantConv"),
            sampleSize: config.isAbsent("sampleSize") ? nil : try config.int("sampleSize", in: 1...65536))
        try validate()
    }
}

/// What every MONAI network's arguments share: 2-D only, and the options that change the
/// parameters' layout refused.
enum MONAIArguments {
    static func check(_ config: ConfigurationReader, target: String) throws {
        if let named = config.json["_target_"]?.string, named != target {
            throw CheckpointError(parameter: nil, "\(config.source) names \(named), not \(target)")
        }
        try config.refuseUnless("spatial_dims", in: [.number("2")], nullAllowed: false, because: "2-D networks only")
        try config.refuseUnless("include_fc", in: [.bool(true)], because: "attention has its output projection")
        try config.refuseUnless("use_combined_linear", in: [.bool(false)], because: "attention has separate q, k and v projections")
    }
}
