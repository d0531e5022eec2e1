"""Reference models for InteropParityTests: small, randomly initialised diffusers and MONAI
networks, each saved the way its library saves it, with inputs and PyTorch's outputs.

For every case NAME this writes the folder interop/NAME/:
  config.json                          diffusers' config (save_pretrained), or MONAI's constructor
                                       arguments with "_target_" naming the class
  diffusion_pytorch_model.safetensors  diffusers' weights (save_pretrained), or
  model.safetensors                    MONAI's state_dict
  io.safetensors                       the inputs and PyTorch's outputs (float32)

and interop/ddim_trajectory.safetensors: a 50-step DDIM loop (diffusers' DDIMScheduler, as
DDIMPipeline runs it) of the first UNet with a fixed condition concatenated on its channels.

Every parameter is redrawn (weights N(0, 0.2^2)-ish, GroupNorm's affine around 1 and 0), because
both libraries start some layers at zero, which would leave parts of the network untested.
Needs diffusers 0.42, monai 1.6 (with einops) and torch: run from this folder,
python3 make_interop_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "interop")


def perturb(model, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=generator)
            if "norm" in name and p.dim() == 1:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.2 * noise)
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                p.copy_(noise / fan_in ** 0.5)


def save_io(name, tensors):
    save_file({k: v.detach().float().contiguous() for k, v in tensors.items()}, os.path.join(OUT, name, "io.safetensors"))


def monai_folder(name, target, arguments, model):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"_target_": target, **arguments}, f, indent=2)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(folder, "model.safetensors"))


def unet_case(name, seed, config, size, timesteps):
    from diffusers import UNet2DModel
    torch.manual_seed(seed)
    model = UNet2DModel(**config).eval()
    perturb(model, seed)
    model.save_pretrained(os.path.join(OUT, name), safe_serialization=True)
    x = torch.randn(len(timesteps), config["in_channels"], size, size)
    t = torch.tensor(timesteps)
    with torch.no_grad():
        y = model(x, t).sample
    save_io(name, {"input": x, "timesteps": t.float(), "output": y})
    return model


def autoencoder_case(name, seed, config, size):
    from diffusers import AutoencoderKL
    torch.manual_seed(seed)
    model = AutoencoderKL(**config).eval()
    perturb(model, seed)
    model.save_pretrained(os.path.join(OUT, name), safe_serialization=True)
    x = torch.randn(2, config["in_channels"], size, size)
    with torch.no_grad():
        posterior = model.encode(x).latent_dist
        z = torch.randn_like(posterior.mean)
        save_io(name, {"input": x, "mean": posterior.mean, "logvar": posterior.logvar,
                       "reconstruction": model(x).sample, "latent": z, "decoded": model.decode(z).sample})


def monai_unet_case(name, seed, arguments, size, timesteps):
    from monai.networks.nets import DiffusionModelUNet
    torch.manual_seed(seed)
    model = DiffusionModelUNet(**arguments).eval()
    perturb(model, seed)
    monai_folder(name, "monai.networks.nets.DiffusionModelUNet", arguments, model)
    x = torch.randn(len(timesteps), arguments["in_channels"], size, size)
    t = torch.tensor(timesteps)
    with torch.no_grad():
        y = model(x, t)
    save_io(name, {"input": x, "timesteps": t.float(), "output": y})


def monai_autoencoder_case(name, seed, arguments, size):
    from monai.networks.nets import AutoencoderKL
    torch.manual_seed(seed)
    model = AutoencoderKL(**arguments).eval()
    perturb(model, seed)
    monai_folder(name, "monai.networks.nets.AutoencoderKL", arguments, model)
    x = torch.randn(2, arguments["in_channels"], size, size)
    with torch.no_grad():
        mean, sigma = model.encode(x)
        z = torch.randn_like(mean)
        save_io(name, {"input": x, "mean": mean, "logvar": 2 * torch.log(sigma),
                       "reconstruction": model.decode(mean), "latent": z, "decoded": model.decode(z)})


def ddim_trajectory(model):
    """DDIMPipeline's loop, with a condition concatenated to x_t on the channels."""
    from diffusers import DDIMScheduler
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", beta_start=1e-4, beta_end=0.02,
                              clip_sample=False, set_alpha_to_one=True, steps_offset=0, timestep_spacing="leading")
    scheduler.set_timesteps(50)
    torch.manual_seed(7)
    latent_channels = model.config.out_channels
    condition = torch.randn(2, model.config.in_channels - latent_channels, 16, 16)
    x = torch.randn(2, latent_channels, 16, 16)
    initial = x.clone()
    with torch.no_grad():
        for t in scheduler.timesteps:
            eps = model(torch.cat([x, condition], dim=1), t.expand(2)).sample
            x = scheduler.step(eps, t, x, eta=0.0).prev_sample
    save_file({"condition": condition, "initial": initial, "final": x.contiguous(),
               "timesteps": scheduler.timesteps.float()}, os.path.join(OUT, "ddim_trajectory.safetensors"))


def main():
    os.makedirs(OUT, exist_ok=True)
    # The course's shape of model: 3 latent channels and 2 condition channels, two levels.
    unet = unet_case("diffusers_unet", 1, dict(
        sample_size=16, in_channels=5, out_channels=3, block_out_channels=(16, 32), layers_per_block=1,
        down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=8, norm_num_groups=4), 16, [3, 700])
    # The options that change the computation: three levels, two blocks, one head per block
    # (attention_head_dim null), asymmetric downsampling, [sin | cos] with a frequency shift, a
    # middle-block scale, a centred input, a wider time embedding and no middle attention.
    unet_case("diffusers_unet_options", 2, dict(
        sample_size=8, in_channels=3, out_channels=2, block_out_channels=(8, 16, 16), layers_per_block=2,
        down_block_types=("AttnDownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D", "AttnUpBlock2D"), attention_head_dim=None, norm_num_groups=4,
        downsample_padding=0, flip_sin_to_cos=False, freq_shift=1, mid_block_scale_factor=1.4142, center_input_sample=True,
        time_embedding_dim=24, add_attention=False, norm_eps=1e-6), 8, [0, 999])
    autoencoder_case("diffusers_autoencoder", 3, dict(
        in_channels=1, out_channels=1, block_out_channels=(8, 16), layers_per_block=1, latent_channels=3,
        norm_num_groups=4, down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
        sample_size=16), 16)
    monai_unet_case("monai_unet", 4, dict(
        spatial_dims=2, in_channels=3, out_channels=2, channels=[8, 16], attention_levels=[False, True],
        num_res_blocks=[1, 2], num_head_channels=8, norm_num_groups=4), 8, [5, 500])
    monai_autoencoder_case("monai_autoencoder", 5, dict(
        spatial_dims=2, in_channels=1, out_channels=1, channels=[8, 16], latent_channels=3, num_res_blocks=[1, 2],
        attention_levels=[False, True], norm_num_groups=4), 16)
    ddim_trajectory(unet)
    for root, _, files in sorted(os.walk(OUT)):
        for f in sorted(files):
            print(os.path.relpath(os.path.join(root, f), OUT), os.path.getsize(os.path.join(root, f)))


if __name__ == "__main__":
    main()
