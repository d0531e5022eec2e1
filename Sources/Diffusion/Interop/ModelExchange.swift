import Engine
import Formats

/// The libraries whose model folders medsynth reads and writes.
public enum ModelLibrary: String, Sendable, CaseIterable {
    /// `save_pretrained` / `from_pretrained`: config.json and diffusion_pytorch_model.safetensors.
    case diffusers
    /// The network's constructor arguments (with `_target_`) as config.json, and its
    /// `state_dict` as model.safetensors, for `load_state_dict`.
    case monai
}

/// Models into and out of diffusers' and MONAI's folders (`ModelFolder`), with the same
/// weights and so the same outputs:
///
/// - a `UNet2DModel` or MONAI `DiffusionModelUNet` becomes a `Denoiser` whose conditions are
///   concatenated after the noisy sample (the channels beyond `out_channels`), under the
///   folder's scheduler (diffusers' DDPM schedule when it has none);
/// - an `AutoencoderKL` of either library becomes an `Autoencoder` with the KL regulariser.
///
/// What a library's files have no place for (condition group names and drop probabilities, a
/// learned condition encoder, the KL weight, MONAI's latent scale) travels in `medsynth.json`
/// and `condition_encoder.safetensors`, which the libraries ignore, so a model medsynth writes
/// comes back the same.
public enum ModelExchange {
    /// The model a folder holds.
    public static func model(from folder: ModelFolder) throws -> any DiffusionModel {
        let notes = folder.medsynth.map { try? ConfigurationReader($0, source: ModelFolder.medsynthName) } ?? nil
        if let name = folder.config["_class_name"]?.string {
            switch name {
            case DiffusersUNet.Configuration.diffusersClassName:
                let configuration = try DiffusersUNet.Configuration(diffusers: folder.config)
                return try denoiser(configuration, weights: folder.weights, folder: folder, notes: notes)
            case AutoencoderKLLayout.diffusersClassName:
                let (layout, scale) = try AutoencoderKLLayout.diffusers(folder.config)
                let weights = folder.weights.map { (name: diffusersAutoencoderPath($0.name), tensor: $0.tensor) }
                return try autoencoder(layout, scale: scale, weights: weights, notes: notes)
            default:
                throw CheckpointError(parameter: nil, "config.json describes a diffusers \(name); medsynth reads "
                    + "\(DiffusersUNet.Configuration.diffusersClassName) and \(AutoencoderKLLayout.diffusersClassName)")
            }
        }
        if let target = folder.config["_target_"]?.string {
            switch target {
            case DiffusersUNet.Configuration.monaiTarget:
                let configuration = try DiffusersUNet.Configuration(monai: folder.config, source: "config.json")
                var random = RandomStream(seed: 0)
                let names = MONAINames.unet(try DiffusersUNet(configuration, random: &random).namedParameters().map(\.path))
                return try denoiser(configuration, weights: try renamed(folder.weights, from: names), folder: folder, notes: notes)
            case AutoencoderKLLayout.monaiTarget:
                let layout = try AutoencoderKLLayout.monai(folder.config, source: "config.json")
                let scale = notes.flatMap { try? $0.double("latentScaleFactor") }.map(Float.init) ?? 1
                var random = RandomStream(seed: 0)
                let paths = try Autoencoder(.init(autoencoderKL: layout, klWeight: 0), random: &random).namedParameters().map(\.path)
                let weights = try renamed(folder.weights, from: MONAINames.autoencoder(paths, layout: layout))
                return try autoencoder(layout, scale: scale, weights: weights, notes: notes)
            default:
                throw CheckpointError(parameter: nil, "config.json names \(target); medsynth reads "
                    + "\(DiffusersUNet.Configuration.monaiTarget) and \(AutoencoderKLLayout.monaiTarget)")
            }
        }
        throw CheckpointError(parameter: nil, "config.json has neither diffusers' \"_class_name\" nor MONAI's \"_target_\", "
            + "so it does not say which network it describes")
    }

    /// Writes `model` as `library` saves it into the folder `path`, and returns the files written.
    /// Only models of the libraries' architectures can be written: medsynth's own UNet and
    /// compact autoencoder are refused, with the verbs that make the others.
    @discardableResult
    public static func write(_ model: any DiffusionModel, as library: ModelLibrary, to path: String) throws -> [String] {
        if let autoencoder = model as? Autoencoder {
            guard let layout = autoencoder.configuration.autoencoderKL, case .kl(let weight) = autoencoder.configuration.regularizer else {
                throw ModuleError("only an AutoencoderKL can be written for \(library.rawValue): this is medsynth's compact "
                    + "autoencoder (make one with 'autoencoder_kl')")
            }
            let parameters = autoencoder.namedParameters().map { (path: $0.path, tensor: $0.variable.value) }
            var notes: [(key: String, value: JSONValue)] = [("klWeight", JSONValue.number(weight))]
            switch library {
            case .diffusers:
                let config = try layout.diffusersConfig(scale: autoencoder.latentScaleFactor)
                let weights = parameters.map { (name: diffusersAutoencoderKey($0.path), tensor: $0.tensor) }
                return try ModelFolder.write(to: path, json: [(ModelFolder.configName, config), (ModelFolder.medsynthName, .object(notes))],
                                             weights: [(ModelFolder.weightNames[0], weights)])
            case .monai:
                let arguments = try layout.monaiArguments()
                notes.append(("latentScaleFactor", JSONValue.number(autoencoder.latentScaleFactor)))
                let names = MONAINames.autoencoder(parameters.map(\.path), layout: layout)
                return try ModelFolder.write(to: path, json: [(ModelFolder.configName, arguments), (ModelFolder.medsynthName, .object(notes))],
                                             weights: [(ModelFolder.weightNames[1], parameters.map { (name: names[$0.path]!, tensor: $0.tensor) })])
            }
        }
        guard let denoiser = model as? Denoiser, let unet = denoiser.model.unet as? DiffusersUNet else {
            throw ModuleError("only a UNet2DModel (a denoiser made by 'unet2d' or loaded from diffusers or MONAI) or an AutoencoderKL "
                + "can be written for \(library.rawValue); this is a \(model.kindName)")
        }
        let parameters = unet.namedParameters().map { (path: $0.path, tensor: $0.variable.value) }
        var json: [(name: String, value: JSONValue)] = [(ModelFolder.medsynthName, denoiserNotes(denoiser))]
        if let scheduler = denoiser.diffusion.map({ schedulerConfig($0.schedule, $0.prediction) }) {
            json.append((ModelFolder.schedulerName, scheduler))
        }
        var weights: [(name: String, tensors: [(name: String, tensor: Tensor)])] = []
        if let encoder = denoiser.model.encoder {
            weights.append((ModelFolder.encoderName, encoder.namedParameters().map { (name: $0.path, tensor: $0.variable.value) }))
        }
        switch library {
        case .diffusers:
            json.insert((ModelFolder.configName, try unet.configuration.diffusersConfig()), at: 0)
            weights.insert((ModelFolder.weightNames[0], parameters.map { (name: $0.path, tensor: $0.tensor) }), at: 0)
        case .monai:
            json.insert((ModelFolder.configName, try unet.configuration.monaiArguments()), at: 0)
            let names = MONAINames.unet(parameters.map(\.path))
            weights.insert((ModelFolder.weightNames[1], parameters.map { (name: names[$0.path]!, tensor: $0.tensor) }), at: 0)
        }
        return try ModelFolder.write(to: path, json: json, weights: weights)
    }

    // MARK: - Denoisers

    /// A denoiser around an imported UNet: the condition groups, encoder and process from
    /// medsynth.json when medsynth wrote the folder; else one group "condition" of the channels
    /// beyond the sample's, concatenated as it is, under the folder's scheduler.
    static func denoiser(_ configuration: DiffusersUNet.Configuration, weights: [(name: String, tensor: Tensor)],
                         folder: ModelFolder, notes: ConfigurationReader?) throws -> Denoiser {
        var random = RandomStream(seed: 0)
        let unet = try DiffusersUNet(configuration, random: &random)
        try unet.loadParameters(weights.map { (path: $0.name, tensor: $0.tensor) }, from: "\(folder.path)'s weights")
        let conditionChannels = configuration.inputChannels - configuration.outputChannels
        var layout = try ConditionLayout([ConditionGroup(name: "condition", channels: max(conditionChannels, 1))])
        var encoder: ConditionEncoder?
        if let notes, let groups = notes.json["conditions"]?.array {
            layout = try ConditionLayout(groups.map { group in
                let reader = try ConfigurationReader(group, source: "medsynth.json's conditions")
                return ConditionGroup(name: try reader.string("name"), channels: try reader.int("channels", in: 1...64),
                                      dropProbability: Float(try reader.double("drop")))
            })
            if let sizes = notes.json["encoder"], sizes != .null {
                let reader = try ConfigurationReader(sizes, source: "medsynth.json's encoder")
                encoder = try ConditionEncoder(inputChannels: layout.channels, outputChannels: try reader.int("outputChannels", in: 1...64),
                                               downsamplingFactor: try reader.int("downsamplingFactor", in: 1...64),
                                               width: try reader.int("width", in: 1...4096), random: &random)
                guard let encoderWeights = folder.encoderWeights else {
                    throw FormatError(file: folder.path, "medsynth.json names a condition encoder, but \(ModelFolder.encoderName) is missing")
                }
                try encoder!.loadParameters(encoderWeights.map { (path: $0.name, tensor: $0.tensor) }, from: ModelFolder.encoderName)
            }
        } else if conditionChannels <= 0 {
            throw CheckpointError(parameter: nil, "the UNet reads \(configuration.inputChannels) channels and predicts "
                + "\(configuration.outputChannels): it takes no condition, and medsynth's denoisers sample for conditions "
                + "concatenated after the noisy sample (in_channels = the sample's channels + the condition's)")
        }
        let model = try ConditionalUNet(layout: layout, encoder: encoder, unet: unet)
        if notes?.json["process"]?.string == "flow" { return Denoiser(model: model, process: .flow) }
        let (schedule, prediction) = try folder.scheduler.map(schedule(fromScheduler:)) ?? (try NoiseSchedule.ddpm(), .epsilon)
        return Denoiser(model: model, schedule: schedule, prediction: prediction)
    }

    /// What medsynth.json says of a denoiser.
    static func denoiserNotes(_ denoiser: Denoiser) -> JSONValue {
        func whole(_ value: Int) -> JSONValue { .number(String(value)) }
        let groups: [JSONValue] = denoiser.model.layout.groups.map {
            .object([("name", .string($0.name)), ("channels", whole($0.channels)), ("drop", JSONValue.number($0.dropProbability))])
        }
        let encoder: JSONValue = denoiser.model.encoder.map {
            .object([("outputChannels", whole($0.outputChannels)), ("downsamplingFactor", whole($0.downsamplingFactor)),
                     ("width", whole($0.inputConv.weight.shape[0]))])
        } ?? .null
        return .object([("conditions", .array(groups)), ("encoder", encoder),
                        ("process", .string(denoiser.process.kind == .flow ? "flow" : "diffusion"))])
    }

    /// The schedule and prediction of diffusers' scheduler_config.json (DDPMScheduler,
    /// DDIMScheduler and the others that share its members).
    static func schedule(fromScheduler json: JSONValue) throws -> (NoiseSchedule, Prediction) {
        let config = try ConfigurationReader(json, source: ModelFolder.schedulerName)
        let steps = try config.int("num_train_timesteps", default: 1000, in: 1...100_000)
        let (start, end) = (try config.double("beta_start", default: 1e-4), try config.double("beta_end", default: 0.02))
        let kind: NoiseSchedule.Kind
        switch try config.string("beta_schedule", default: "linear") {
        case "linear": kind = .linear(betaStart: start, betaEnd: end)
        case "scaled_linear": kind = .scaledLinear(betaStart: start, betaEnd: end)
        case "squaredcos_cap_v2": kind = .cosine
        case let other: throw config.failure("beta_schedule", "linear, scaled_linear or squaredcos_cap_v2 (not \(other))")
        }
        try config.refuseUnless("trained_betas", in: [], because: "betas come from beta_schedule")
        let prediction: Prediction
        switch try config.string("prediction_type", default: "epsilon") {
        case "epsilon": prediction = .epsilon
        case "sample": prediction = .sample
        case "v_prediction": prediction = .velocity
        default: throw config.failure("prediction_type", "epsilon, sample or v_prediction")
        }
        let schedule = try NoiseSchedule(kind, trainingSteps: steps, zeroTerminalSNR: try config.bool("rescale_betas_zero_snr", default: false))
        return (schedule, prediction)
    }

    /// diffusers' DDPMScheduler configuration of a schedule and prediction.
    static func schedulerConfig(_ schedule: NoiseSchedule, _ prediction: Prediction) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("_class_name", .string("DDPMScheduler")), ("_diffusers_version", .string("0.31.0")),
            ("num_train_timesteps", .number(String(schedule.trainingSteps))),
        ]
        switch schedule.kind {
        case .linear(let start, let end):
            members += [("beta_schedule", .string("linear")), ("beta_start", JSONValue.number(start)), ("beta_end", JSONValue.number(end))]
        case .scaledLinear(let start, let end):
            members += [("beta_schedule", .string("scaled_linear")), ("beta_start", JSONValue.number(start)), ("beta_end", JSONValue.number(end))]
        case .cosine:
            members += [("beta_schedule", .string("squaredcos_cap_v2"))]
        }
        let predictions: [Prediction: String] = [.epsilon: "epsilon", .sample: "sample", .velocity: "v_prediction"]
        members += [("prediction_type", .string(predictions[prediction]!)), ("rescale_betas_zero_snr", .bool(schedule.zeroTerminalSNR)),
                    ("clip_sample", .bool(false)), ("timestep_spacing", .string("leading"))]
        return .object(members)
    }

    // MARK: - Autoencoders

    static func autoencoder(_ layout: AutoencoderKLLayout, scale: Float, weights: [(name: String, tensor: Tensor)],
                            notes: ConfigurationReader?) throws -> Autoencoder {
        let weight = notes.flatMap { try? $0.double("klWeight") }.map(Float.init) ?? 1e-6
        var random = RandomStream(seed: 0)
        let autoencoder = try Autoencoder(.init(autoencoderKL: layout, klWeight: weight), random: &random)
        try autoencoder.loadParameters(weights.map { (path: $0.name, tensor: $0.tensor) }, from: "the folder's weights")
        autoencoder.latentScaleFactor = scale
        autoencoder.setTraining(false)
        return autoencoder
    }

    /// diffusers keeps `quant_conv` and `post_quant_conv` beside the encoder and decoder;
    /// medsynth's halves hold them.
    static func diffusersAutoencoderPath(_ key: String) -> String {
        if key.hasPrefix("quant_conv.") { return "encoder." + key }
        if key.hasPrefix("post_quant_conv.") { return "decoder." + key }
        return key
    }

    static func diffusersAutoencoderKey(_ path: String) -> String {
        for prefix in ["encoder.quant_conv.", "decoder.post_quant_conv."] where path.hasPrefix(prefix) {
            return String(path.dropFirst(prefix.split(separator: ".")[0].count + 1))
        }
        return path
    }

    /// The weights under medsynth's paths, given each path's name in the file; a name the map
    /// does not produce is kept, so that the loader names it as a parameter the model lacks.
    static func renamed(_ weights: [(name: String, tensor: Tensor)], from names: [String: String]) throws -> [(name: String, tensor: Tensor)] {
        let paths = Dictionary(names.map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return weights.map { (name: paths[$0.name] ?? $0.name, tensor: $0.tensor) }
    }
}
