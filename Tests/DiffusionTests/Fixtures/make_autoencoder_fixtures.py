"""Fixtures for AutoencoderParityTests: the benchmark autoencoder of benchmarks/torch_models.py.

Writes
- autoencoder_weights.safetensors: the torch model's parameters (seed 0), renamed to the Swift
  Autoencoder's parameter paths;
- autoencoder_parity.json: an input [2, 1, 16, 16] in [-1, 1], its latent [2, 4, 4, 4], its
  reconstruction, the L2 reconstruction loss mean((decode(encode(x)) - x)^2) and that loss's
  gradient with respect to a few parameters.

Run from the repository root: python Tests/DiffusionTests/Fixtures/make_autoencoder_fixtures.py
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "benchmarks"))
sys.path.insert(0, "/work/main/benchmarks")
from torch_models import Autoencoder  # noqa: E402


def swift_path(name: str) -> str:
    """torch parameter name -> the Swift Autoencoder's path.

    encoder.i.0 (unit conv) / encoder.i.1 (unit norm), i < 4  -> encoder.units.i.conv / .norm
    encoder.4                                               -> encoder.output
    decoder_in.i.0 / .1                                     -> decoder.input.i.conv / .norm
    decoder_up1.0 / .1, decoder_up2.0 / .1                  -> decoder.upsampling.{0,1}.conv / .norm
    decoder_out                                             -> decoder.output
    """
    parts = name.split(".")
    layer = {"0": "conv", "1": "norm"}
    if parts[0] == "encoder":
        if parts[1] == "4":
            return "encoder.output." + parts[2]
        return f"encoder.units.{parts[1]}.{layer[parts[2]]}.{parts[3]}"
    if parts[0] == "decoder_in":
        return f"decoder.input.{parts[1]}.{layer[parts[2]]}.{parts[3]}"
    if parts[0] in ("decoder_up1", "decoder_up2"):
        index = "0" if parts[0] == "decoder_up1" else "1"
        return f"decoder.upsampling.{index}.{layer[parts[1]]}.{parts[2]}"
    if parts[0] == "decoder_out":
        return "decoder.output." + parts[1]
    raise ValueError(name)


def tensor(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "values": [float(v) for v in t.detach().double().flatten()]}


def main() -> None:
    torch.manual_seed(0)
    model = Autoencoder()
    # Perturb the GroupNorm affine parameters so that a swapped weight and bias would show.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.GroupNorm):
                module.weight.add_(0.1 * torch.randn_like(module.weight))
                module.bias.add_(0.1 * torch.randn_like(module.bias))
    assert sum(p.numel() for p in model.parameters()) == 135_365
    weights = {swift_path(n): p.detach().contiguous() for n, p in model.named_parameters()}
    path = os.path.join(HERE, "autoencoder_weights.safetensors")
    save_file(weights, path)
    os.chmod(path, 0o644)

    x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    latent = model.encode(x)
    reconstruction = model.decode(latent)
    loss = ((reconstruction - x) ** 2).mean()
    loss.backward()
    named = dict(model.named_parameters())
    chosen = ["encoder.0.0.weight", "encoder.1.1.weight", "encoder.4.bias",
              "decoder_in.0.0.bias", "decoder_up1.1.bias", "decoder_out.weight"]
    document = {
        "input": tensor(x),
        "latent": tensor(latent),
        "reconstruction": tensor(reconstruction),
        "loss": float(loss.detach()),
        "gradients": {swift_path(n): tensor(named[n].grad) for n in chosen},
    }
    with open(os.path.join(HERE, "autoencoder_parity.json"), "w") as f:
        json.dump(document, f)


if __name__ == "__main__":
    main()
