/// How MONAI names the parameters of the networks medsynth names as diffusers does. The two
/// libraries build the same layers; MONAI wraps each convolution in a `Convolution` (one more
/// `.conv`), calls a resnet's shortcut `skip_connection` (`nin_shortcut` in the autoencoder), keeps
/// attention's projections in an `attn` with `out_proj`, and lists its autoencoder's layers flat
/// in `blocks`. Each function maps medsynth's path of every parameter to MONAI's key.
enum MONAINames {
    /// The renames inside a block, by the block's kind, applied to the path after its prefix.
    private enum Block {
        case convolution, resnet(shortcut: String), attention, downsample(prefix: String), upsample, norm

        func rename(_ rest: String) -> String {
            func replacing(_ pairs: [(String, String)]) -> String {
                for (ours, theirs) in pairs where rest.hasPrefix(ours) { return theirs + rest.dropFirst(ours.count) }
                return rest
            }
            switch self {
            case .convolution: return "conv." + rest
            case .resnet(let shortcut):
                return replacing([("conv1.", "conv1.conv."), ("conv2.", "conv2.conv."), ("conv_shortcut.", shortcut + ".conv.")])
            case .attention:
                return replacing([("group_norm.", "norm."), ("to_q.", "attn.to_q."), ("to_k.", "attn.to_k."),
                                  ("to_v.", "attn.to_v."), ("to_out.0.", "attn.out_proj.")])
            case .downsample(let prefix): return replacing([("conv.", prefix + "conv.")])
            case .upsample: return replacing([("conv.", "postconv.conv.")])
            case .norm: return rest
            }
        }
    }

    /// MONAI's key for each of `paths`, the parameters of a `DiffusersUNet`.
    static func unet(_ paths: [String]) -> [String: String] {
        var prefixes: [(ours: String, theirs: String, block: Block)] = [
            ("conv_in.", "conv_in.", .convolution), ("time_embedding.linear_1.", "time_embed.0.", .norm),
            ("time_embedding.linear_2.", "time_embed.2.", .norm), ("conv_norm_out.", "out.0.", .norm), ("conv_out.", "out.2.", .convolution),
            ("mid_block.resnets.0.", "middle_block.resnet_1.", .resnet(shortcut: "skip_connection")),
            ("mid_block.resnets.1.", "middle_block.resnet_2.", .resnet(shortcut: "skip_connection")),
            ("mid_block.attentions.0.", "middle_block.attention.", .attention),
        ]
        for path in paths {
            // down_blocks.i.resnets.j. and the like: the block is the first four components.
            let parts = path.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count > 4, parts[0] == "down_blocks" || parts[0] == "up_blocks" else { continue }
            let prefix = parts[0...3].joined(separator: ".") + "."
            guard !prefixes.contains(where: { $0.ours == prefix }) else { continue }
            let level = "\(parts[0]).\(parts[1])."
            switch parts[2] {
            case "resnets": prefixes.append((prefix, prefix, .resnet(shortcut: "skip_connection")))
            case "attentions": prefixes.append((prefix, prefix, .attention))
            case "downsamplers": prefixes.append((prefix, level + "downsampler.", .downsample(prefix: "op.")))
            case "upsamplers": prefixes.append((prefix, level + "upsampler.", .upsample))
            default: continue
            }
        }
        return map(paths, prefixes)
    }

    /// MONAI's key for each of `paths`, the parameters of an `Autoencoder` of `layout`.
    static func autoencoder(_ paths: [String], layout: AutoencoderKLLayout) -> [String: String] {
        var prefixes: [(ours: String, theirs: String, block: Block)] = [
            ("encoder.quant_conv_mu.", "quant_conv_mu.", .convolution),
            ("encoder.quant_conv_log_sigma.", "quant_conv_log_sigma.", .convolution),
            ("decoder.post_quant_conv.", "post_quant_conv.", .convolution),
        ]
        let resnet = Block.resnet(shortcut: "nin_shortcut")
        for half in ["encoder", "decoder"] {
            var index = 0
            func next(_ ours: String, _ block: Block) {
                prefixes.append(("\(half).\(ours).", "\(half).blocks.\(index).", block))
                index += 1
            }
            func middle(_ kind: AutoencoderKLLayout.Middle) {
                guard kind != .none else { return }
                next("mid_block.resnets.0", resnet)
                if kind == .attention { next("mid_block.attentions.0", .attention) }
                next("mid_block.resnets.1", resnet)
            }
            next("conv_in", .convolution)
            let levels = layout.widths.count
            if half == "encoder" {
                for level in 0..<levels {
                    for block in 0..<layout.encoderBlocks[level] {
                        next("down_blocks.\(level).resnets.\(block)", resnet)
                        if layout.attentionLevels[level] { next("down_blocks.\(level).attentions.\(block)", .attention) }
                    }
                    if level < levels - 1 { next("down_blocks.\(level).downsamplers.0", .downsample(prefix: "conv.")) }
                }
                middle(layout.encoderMiddle)
            } else {
                middle(layout.decoderMiddle)
                for (i, level) in (0..<levels).reversed().enumerated() {
                    for block in 0..<layout.decoderBlocks[level] {
                        next("up_blocks.\(i).resnets.\(block)", resnet)
                        if layout.attentionLevels[level] { next("up_blocks.\(i).attentions.\(block)", .attention) }
                    }
                    if level > 0 { next("up_blocks.\(i).upsamplers.0", .upsample) }
                }
            }
            next("conv_norm_out", .norm)
            next("conv_out", .convolution)
        }
        return map(paths, prefixes)
    }

    /// Each path renamed by the longest prefix that matches it (unchanged when none does).
    private static func map(_ paths: [String], _ prefixes: [(ours: String, theirs: String, block: Block)]) -> [String: String] {
        let sorted = prefixes.sorted { $0.ours.count > $1.ours.count }
        var names: [String: String] = [:]
        for path in paths {
            if let match = sorted.first(where: { path.hasPrefix($0.ours) }) {
                names[path] = match.theirs + match.block.rename(String(path.dropFirst(match.ours.count)))
            } else {
                names[path] = path
            }
        }
        return names
    }
}
