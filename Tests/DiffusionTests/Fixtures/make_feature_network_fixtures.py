"""Parity fixtures for the standard feature networks (feature_networks.json).

pytorch-fid's InceptionV3 (the FID Inception: its patched A, C and E blocks, 2048 pool
features, input resized to 299 and scaled to -1...1) and torchvision's ResNet-50 (2048 pool
features after layer4; input resized to 224 and normalised with ImageNet's mean and std), both
with deterministic pseudo-random weights that FeatureNetworkParityTests.swift makes the same way:
the real weight files are too large to commit and cannot be downloaded here, and a network that
agrees on arbitrary weights agrees on the real ones.

Weights: value i of the parameter named p is u = (mix(fnv1a(p) ^ mix(i)) >> 8) / 2^24 in [0, 1),
mapped per kind (see `value`), computed in float64 and rounded to float32.

Run with torch, torchvision and pytorch-fid installed:
    python3 make_feature_network_fixtures.py
"""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from pytorch_fid import inception as fid

MASK = 0xFFFFFFFF


def fnv1a(text):
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & MASK
    return h


def mix(x):
    """A 32-bit integer hash (lowbias32), elementwise on uint64 arrays holding 32-bit values."""
    x = x & MASK
    x ^= x >> 16
    x = (x * 0x7FEB352D) & MASK
    x ^= x >> 15
    x = (x * 0x846CA68B) & MASK
    x ^= x >> 16
    return x


def uniform(name, count):
    i = np.arange(count, dtype=np.uint64)
    x = mix(np.uint64(fnv1a(name)) ^ mix(i))
    return (x >> np.uint64(8)).astype(np.float64) / 16777216.0


def value(name, shape):
    count = int(np.prod(shape))
    u = uniform(name, count)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "weight" and len(shape) == 4:
        fan_in = shape[1] * shape[2] * shape[3]
        v = (2 * u - 1) * math.sqrt(6.0 / fan_in)
    elif leaf == "weight" and len(shape) == 2:  # fc
        v = (2 * u - 1) * math.sqrt(1.0 / shape[1])
    elif leaf == "weight":  # batch norm's scale
        v = 0.8 + 0.4 * u
    elif leaf == "bias":
        v = 0.2 * (2 * u - 1)
    elif leaf == "running_mean":
        v = 0.1 * (2 * u - 1)
    elif leaf == "running_var":
        v = 0.5 + u
    else:
        raise ValueError(name)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def fill(model):
    """Sets every parameter and statistic of `model` by `value`; returns it in eval mode."""
    state = {}
    for name, tensor in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            state[name] = tensor
        else:
            state[name] = value(name, list(tensor.shape))
    model.load_state_dict(state)
    return model.eval()


def fid_inception():
    # fid_inception_v3() without its download: the same patched blocks, our weights.
    net = fid._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    net.Mixed_5b = fid.FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = fid.FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = fid.FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = fid.FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = fid.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = fid.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = fid.FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = fid.FIDInceptionE_1(1280)
    net.Mixed_7c = fid.FIDInceptionE_2(2048)
    fill(net)
    global fid_inception_source
    fid_inception_source = net
    original = fid.fid_inception_v3
    fid.fid_inception_v3 = lambda: net
    try:
        wrapper = fid.InceptionV3([fid.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    finally:
        fid.fid_inception_v3 = original
    return wrapper.eval()


# The Inception3 behind pytorch-fid's wrapper: its weight file names tensors as this one does.
fid_inception_source = None


def resnet_features(net, x):
    x = F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = (x - mean) / std
    body = torch.nn.Sequential(*list(net.children())[:-1])
    return body(x).flatten(1)


def short(v):
    return float(f"{v:.9g}")


def main():
    torch.manual_seed(0)
    rows, cols = 37, 53
    r = torch.arange(rows, dtype=torch.float32).view(rows, 1)
    c = torch.arange(cols, dtype=torch.float32).view(1, cols)
    images = torch.stack([
        0.5 + 0.4 * torch.sin(0.31 * r) * torch.cos(0.17 * c),
        (0.2 + 0.6 * ((r - 18) ** 2 + (c - 26) ** 2 < 200).float() + 0.1 * torch.cos(0.5 * r + 0.3 * c)).clamp(0, 1),
    ]).unsqueeze(1)  # [2, 1, 37, 53] in 0...1
    rgb = images.repeat(1, 3, 1, 1)
    with torch.no_grad():
        inception_net = fid_inception()
        inception = inception_net(rgb)[0].flatten(1)
        resnet_net = fill(torchvision.models.resnet50(weights=None))
        resnet = resnet_features(resnet_net, rgb)

    def layout(state):
        # Every tensor a user's state dict holds (the classifier too), without the int64 counters.
        return [[name, list(t.shape)] for name, t in state.items() if not name.endswith("num_batches_tracked")]
    out = {
        "images": {"shape": list(images.shape), "values": [short(v) for v in images.reshape(-1).tolist()]},
        "inception": {"shape": list(inception.shape), "values": [short(v) for v in inception.reshape(-1).tolist()]},
        "resnet50": {"shape": list(resnet.shape), "values": [short(v) for v in resnet.reshape(-1).tolist()]},
        "inception_parameters": layout(fid_inception_source.state_dict()),
        "resnet50_parameters": layout(resnet_net.state_dict()),
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__},
    }
    print("inception", inception.abs().max().item(), inception.mean().item(), inception.std().item())
    print("resnet", resnet.abs().max().item(), resnet.mean().item(), resnet.std().item())
    with open("feature_networks.json", "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
