"""Loads the folders exports.medsynth wrote with diffusers and MONAI, unchanged, and compares their
outputs with medsynth's (saved in io.safetensors). Run by check-exports.sh."""
import json, torch
from safetensors.torch import load_file
from diffusers import UNet2DModel, AutoencoderKL
from monai.networks.nets import DiffusionModelUNet, AutoencoderKL as MAutoencoderKL
io = load_file("io.safetensors")
def rel(a, b): return ((a - b).abs().max() / b.abs().max()).item()
u = UNet2DModel.from_pretrained("unet").eval()
with torch.no_grad():
    y = u(torch.cat([io["xt"], io["c"]], 1), torch.tensor([321, 321])).sample
print("diffusers UNet2DModel.from_pretrained: rel gap", rel(y, io["out_d"]))
args = json.load(open("monai_unet/config.json")); args.pop("_target_")
m = DiffusionModelUNet(**args); print("MONAI load_state_dict:", m.load_state_dict(load_file("monai_unet/model.safetensors"), strict=True)); m.eval()
with torch.no_grad():
    y = m(torch.cat([io["xt"], io["c"]], 1), torch.tensor([321, 321]))
print("MONAI DiffusionModelUNet: rel gap", rel(y, io["out_m"]))
v = AutoencoderKL.from_pretrained("vae").eval()
with torch.no_grad():
    z = v.encode(io["x"]).latent_dist.mean * v.config.scaling_factor
    d = v.decode(io["z"] / v.config.scaling_factor).sample
print("diffusers AutoencoderKL: latents rel gap", rel(z, io["z"]), "decoded rel gap", rel(d, io["dz"]), "scaling_factor", v.config.scaling_factor)
args = json.load(open("monai_vae/config.json")); args.pop("_target_")
mv = MAutoencoderKL(**args); print("MONAI VAE load_state_dict:", mv.load_state_dict(load_file("monai_vae/model.safetensors"), strict=True)); mv.eval()
scale = json.load(open("monai_vae/medsynth.json"))["latentScaleFactor"]
with torch.no_grad():
    mu, _ = mv.encode(io["x"])
    d = mv.decode(io["mz"] / scale)
print("MONAI AutoencoderKL: latents rel gap", rel(mu * scale, io["mz"]), "decoded rel gap", rel(d, io["mdz"]))
