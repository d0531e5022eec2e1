import Engine
import Formats

extension DiffusersUNet.Configuration {
    /// diffusers' class name of this network in `config.json`.
    public static let diffusersClassName = "UNet2DModel"

    /// The configuration diffusers' `config.json` of a `UNet2DModel` describes, with diffusers'
    /// defaults for members left out.
    public init(diffusers json: JSONValue, source: String = "config.json") throws {
        let config = try ConfigurationReader(json, source: source)
        if let name = json["_class_name"]?.string, name != Self.diffusersClassName {
            throw CheckpointError(parameter: nil, "\(source) describes a \(name), not a \(Self.diffusersClassName)")
        }
        try config.refuseUnless("time_embedding_type", in: [.string("positional")], because: "only the sinusoidal time embedding")
        try config.refuseUnless("class_embed_type", in: [], because: "no class embeddings")
        try config.refuseUnless("num_class_embeds", in: [], because: "no class embeddings")
        try config.refuseUnless("act_fn", in: [.string("silu")], because: "SiLU activations only")
        try config.refuseUnless("resnet_time_scale_shift", in: [.string("default")], because: "the time embedding is added, not scale-shift")
        try config.refuseUnless("downsample_type", in: [.string("conv")], because: "convolutions downsample")
        try config.refuseUnless("upsample_type", in: [.string("conv")], because: "convolutions upsample")
        try config.refuseUnless("mid_block_type", in: [.string("UNetMidBlock2D")], because: "the middle block is UNetMidBlock2D or none")
        let widths = try config.ints("block_out_channels", default: [224, 448, 672, 896])
        let down = try config.strings("down_block_types", default: ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"])
        let up = try config.strings("up_block_types", default: ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"])
        guard down.count == widths.count, up.count == widths.count else {
            throw CheckpointError(parameter: nil, "\(source): \(widths.count) block_out_channels need as many down_block_types and "
                + "up_block_types, got \(down.count) and \(up.count)")
        }
        let downAttention = try down.map { type -> Bool in
            switch type {
            case "DownBlock2D": return false
            case "AttnDownBlock2D": return true
            default: throw CheckpointError(parameter: nil, "\(source): the down block type \"\(type)\" is not one medsynth implements (DownBlock2D, AttnDownBlock2D)")
            }
        }
        let upAttention = try up.map { type -> Bool in
            switch type {
            case "UpBlock2D": return false
            case "AttnUpBlock2D": return true
            default: throw CheckpointError(parameter: nil, "\(source): the up block type \"\(type)\" is not one medsynth implements (UpBlock2D, AttnUpBlock2D)")
            }
        }
        guard Array(upAttention.reversed()) == downAttention else {
            throw CheckpointError(parameter: nil, "\(source): the up blocks' attention (\(up)) must mirror the down blocks' (\(down))")
        }
        let groups = try config.int("norm_num_groups", default: 32, in: 1...4096)
        if !config.isAbsent("attn_norm_num_groups"), try config.int("attn_norm_num_groups", in: 1...4096) != groups {
            throw CheckpointError(parameter: nil, "\(source): \"attn_norm_num_groups\" must be null or equal to norm_num_groups")
        }
        // attention_head_dim null: one head as wide as the block; left out: diffusers' default 8.
        let headChannels = json["attention_head_dim"] == JSONValue.null
            ? widths : try config.ints("attention_head_dim", count: widths.count, default: Array(repeating: 8, count: widths.count))
        guard headChannels.count == widths.count else { throw config.failure("attention_head_dim", "a whole number or one per level") }
        let blocks = try config.int("layers_per_block", default: 2, in: 1...8)
        self.init(
            inputChannels: try config.int("in_channels", default: 3, in: 1...4096),
            outputChannels: try config.int("out_channels", default: 3, in: 1...4096),
            widths: widths, blocksPerLevel: Array(repeating: blocks, count: widths.count), attentionLevels: downAttention,
            headChannels: headChannels, hasMiddleBlock: json["mid_block_type"] != JSONValue.null,
            middleAttention: try config.bool("add_attention", default: true),
            middleScale: Float(try config.double("mid_block_scale_factor", default: 1)),
            groups: groups, epsilon: Float(try config.double("norm_eps", default: 1e-5)),
            downsamplePadding: try config.int("downsample_padding", default: 1, in: 0...1),
            flipSinToCos: try config.bool("flip_sin_to_cos", default: true),
            frequencyShift: try config.double("freq_shift", default: 0),
            timeEmbeddingWidth: config.isAbsent("time_embedding_dim") ? nil : try config.int("time_embedding_dim", in: 1...16384),
            dropout: Float(try config.double("dropout", default: 0)),
            centersInput: try config.bool("center_input_sample", default: false),
            sampleSize: try config.sampleSize())
        try validate()
    }

    /// diffusers' `config.json` for this network, with every member `UNet2DModel` reads, so
    /// that `UNet2DModel.from_pretrained` builds it. diffusers has one block count and head size
    /// for all levels: a network with several cannot be written for it.
    public func diffusersConfig() throws -> JSONValue {
        guard Set(blocksPerLevel).count == 1 else {
            throw ModuleError("UNet2DModel: diffusers has one layers_per_block for all levels, this network has \(blocksPerLevel)")
        }
        // null: one head as wide as each block; else one head size for every level with attention.
        let attentionHeads = Set(zip(headChannels, attentionLevels).filter(\.1).map(\.0) + (middleAttention ? [headChannels.last!] : []))
        let oneHeadEach = headChannels == widths
        guard oneHeadEach || attentionHeads.count <= 1 else {
            throw ModuleError("UNet2DModel: diffusers has one attention_head_dim for all levels, this network has \(headChannels)")
        }
        func whole(_ value: Int) -> JSONValue { .number(String(value)) }
        let members: [(key: String, value: JSONValue)] = [
            ("_class_name", .string(Self.diffusersClassName)),
            ("_diffusers_version", .string("0.31.0")),
            ("act_fn", .string("silu")),
            ("add_attention", .bool(middleAttention)),
            ("attention_head_dim", oneHeadEach ? .null : whole(attentionHeads.first ?? headChannels.last!)),
            ("attn_norm_num_groups", .null),
            ("block_out_channels", .array(widths.map(whole))),
            ("center_input_sample", .bool(centersInput)),
            ("class_embed_type", .null),
            ("down_block_types", .array(attentionLevels.map { .string($0 ? "AttnDownBlock2D" : "DownBlock2D") })),
            ("downsample_padding", whole(downsamplePadding)),
            ("downsample_type", .string("conv")),
            ("dropout", JSONValue.number(dropout)),
            ("flip_sin_to_cos", .bool(flipSinToCos)),
            ("freq_shift", JSONValue.number(frequencyShift)),
            ("in_channels", whole(inputChannels)),
            ("layers_per_block", whole(blocksPerLevel[0])),
            ("mid_block_scale_factor", JSONValue.number(middleScale)),
            ("mid_block_type", hasMiddleBlock ? .string("UNetMidBlock2D") : .null),
            ("norm_eps", JSONValue.number(epsilon)),
            ("norm_num_groups", whole(groups)),
            ("num_class_embeds", .null),
            ("num_train_timesteps", .null),
            ("out_channels", whole(outputChannels)),
            ("resnet_time_scale_shift", .string("default")),
            ("sample_size", sampleSize.map { whole($0) } ?? .null),
            ("time_embedding_dim", timeEmbeddingWidth == 4 * widths[0] ? .null : whole(timeEmbeddingWidth)),
            ("time_embedding_type", .string("positional")),
            ("up_block_types", .array(attentionLevels.reversed().map { .string($0 ? "AttnUpBlock2D" : "UpBlock2D") })),
            ("upsample_type", .string("conv")),
        ]
        return .object(members)
    }
}

extension DiffusersUNet.Configuration {
    /// MONAI's class of this network, as a MONAI bundle's `_target_` names it.
    public static let monaiTarget = "monai.networks.nets.DiffusionModelUNet"

    /// The configuration MONAI's `DiffusionModelUNet(**arguments)` builds in 2-D: diffusers'
    /// network with GroupNorm's epsilon 1e-6, [cos | sin] without shift, symmetric downsampling
    /// padding, and a block count and head size per level.
    public init(monai json: JSONValue, source: String = "MONAI arguments") throws {
        let config = try ConfigurationReader(json, source: source)
        try MONAIArguments.check(config, target: Self.monaiTarget)
        try config.refuseUnless("resblock_updown", in: [.bool(false)], because: "convolutions up- and downsample")
        try config.refuseUnless("with_conditioning", in: [.bool(false)], because: "no cross-attention: conditions are concatenated")
        try config.refuseUnless("num_class_embeds", in: [], because: "no class embeddings")
        let widths = try config.ints("channels", default: [32, 64, 64, 64])
        let blocks = try config.ints("num_res_blocks", count: widths.count, default: Array(repeating: 2, count: widths.count))
        let attention = try config.bools("attention_levels", default: [false, false, true, true])
        let heads = try config.ints("num_head_channels", count: widths.count, default: Array(repeating: 8, count: widths.count))
        guard blocks.count == widths.count, attention.count == widths.count, heads.count == widths.count else {
            throw CheckpointError(parameter: nil, "\(source): channels, num_res_blocks, attention_levels and num_head_channels "
                + "must have one entry per level")
        }
        self.init(
            inputChannels: try config.int("in_channels", in: 1...4096), outputChannels: try config.int("out_channels", in: 1...4096),
            widths: widths, blocksPerLevel: blocks, attentionLevels: attention, headChannels: heads,
            groups: try config.int("norm_num_groups", default: 32, in: 1...4096), epsilon: Float(try config.double("norm_eps", default: 1e-6)),
            downsamplePadding: 1, flipSinToCos: true, frequencyShift: 0)
        try validate()
    }

    /// MONAI's constructor arguments for this network, with `_target_`; a network MONAI cannot
    /// build (one with diffusers-only options) is refused, naming what differs.
    public func monaiArguments() throws -> JSONValue {
        var differences: [String] = []
        if !hasMiddleBlock || !middleAttention || middleScale != 1 { differences.append("its middle block is not resnet, attention, resnet") }
        if downsamplePadding != 1 { differences.append("it pads its downsampling asymmetrically") }
        if !flipSinToCos || frequencyShift != 0 { differences.append("its time embedding is not [cos | sin] without shift") }
        if timeEmbeddingWidth != 4 * widths[0] { differences.append("its time embedding is not 4 times the first width") }
        if centersInput { differences.append("it centres its input") }
        guard differences.isEmpty else {
            throw ModuleError("UNet2DModel: MONAI's DiffusionModelUNet cannot build this network: " + differences.joined(separator: "; "))
        }
        func whole(_ value: Int) -> JSONValue { .number(String(value)) }
        let members: [(key: String, value: JSONValue)] = [
            ("_target_", .string(Self.monaiTarget)),
            ("spatial_dims", whole(2)),
            ("in_channels", whole(inputChannels)),
            ("out_channels", whole(outputChannels)),
            ("num_res_blocks", .array(blocksPerLevel.map(whole))),
            ("channels", .array(widths.map(whole))),
            ("attention_levels", .array(attentionLevels.map(JSONValue.bool))),
            ("norm_num_groups", whole(groups)),
            ("norm_eps", JSONValue.number(epsilon)),
            ("num_head_channels", .array(headChannels.map(whole))),
            ("dropout_cattn", JSONValue.number(Float(0))),
        ]
        return .object(members)
    }
}
