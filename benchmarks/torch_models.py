"""PyTorch twins of medsynth's benchmark models (docs/architecture.md, "The benchmark models").

These definitions are the reference the Swift models are checked against: same layers, same
order, same parameter count (UNet 1,404,804; autoencoder 135,365). They are used only to make
test fixtures and to run the side-by-side benchmark; medsynth never imports Python.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


def sinusoidal_embedding(t: torch.Tensor, dim: int = 128) -> torch.Tensor:
    """[cos | sin] of t * 10000^(-i / half), i = 0..half-1 (diffusers' flip_sin_to_cos=True,
    downscale_freq_shift=0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm, SiLU, 3x3 conv; + projected time embedding; GroupNorm, SiLU, (dropout), 3x3 conv;
    a 1x1 conv on the skip path when the width changes."""

    def __init__(self, cin, cout, temb=128, groups=8, dropout=0.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + (self.skip(x) if self.skip is not None else x)


class AttentionBlock(nn.Module):
    """x + out(attention(q, k, v)) over the H*W positions of GroupNorm(x), `heads` heads;
    query, key, value and output are Linear layers with bias (nn.MultiheadAttention's convention)."""

    def __init__(self, channels, heads=4, groups=8):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, channels)
        self.query = nn.Linear(channels, channels)
        self.key = nn.Linear(channels, channels)
        self.value = nn.Linear(channels, channels)
        self.output = nn.Linear(channels, channels)

    def forward(self, x):
        n, c, h, w = x.shape
        s = self.norm(x).reshape(n, c, h * w).transpose(1, 2)  # [N, L, C]
        def split(t):
            return t.reshape(n, h * w, self.heads, c // self.heads).transpose(1, 2)
        q, k, v = split(self.query(s)), split(self.key(s)), split(self.value(s))
        a = F.scaled_dot_product_attention(q, k, v)
        a = a.transpose(1, 2).reshape(n, h * w, c)
        return x + self.output(a).transpose(1, 2).reshape(n, c, h, w)


class UNet(nn.Module):
    """The benchmark UNet: widths (32, 64, 128) at 16, 8, 4 for a 16x16 input.

    conv_in; per level but the last: 2 res-blocks, the level's output kept as the skip, a stride-2
    3x3 conv (same width); the last level: 2 res-blocks then self-attention; up, per level from the
    second-last: nearest x2 + 3x3 conv (same width), concatenate the skip, 2 res-blocks; out:
    GroupNorm, SiLU, 3x3 conv. Time: sinusoidal(128) -> Linear -> SiLU -> Linear.
    """

    def __init__(self, cin=9, cout=4, widths=(32, 64, 128), blocks=2, heads=4, groups=8,
                 temb=128, dropout=0.0):
        super().__init__()
        self.temb = temb
        self.time1 = nn.Linear(temb, temb)
        self.time2 = nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(cin, widths[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        c = widths[0]
        for level, w in enumerate(widths):
            blocks_here = nn.ModuleList()
            for _ in range(blocks):
                blocks_here.append(ResBlock(c, w, temb, groups, dropout))
                c = w
            self.down.append(blocks_here)
            if level < len(widths) - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.attention = AttentionBlock(c, heads, groups)
        self.upsample = nn.ModuleList()
        self.up = nn.ModuleList()
        for level in reversed(range(len(widths) - 1)):
            w = widths[level]
            self.upsample.append(nn.Conv2d(c, c, 3, padding=1))
            blocks_here = nn.ModuleList()
            cin_block = c + w
            for _ in range(blocks):
                blocks_here.append(ResBlock(cin_block, w, temb, groups, dropout))
                cin_block = w
            c = w
            self.up.append(blocks_here)
        self.norm_out = nn.GroupNorm(groups, c)
        self.conv_out = nn.Conv2d(c, cout, 3, padding=1)

    def forward(self, x, t):
        emb = self.time2(F.silu(self.time1(sinusoidal_embedding(t, self.temb))))
        h = self.conv_in(x)
        skips = []
        for level, blocks_here in enumerate(self.down):
            for block in blocks_here:
                h = block(h, emb)
            if level < len(self.downsample):
                skips.append(h)
                h = self.downsample[level](h)
        h = self.attention(h)
        for upsample, blocks_here in zip(self.upsample, self.up):
            h = upsample(F.interpolate(h, scale_factor=2, mode="nearest"))
            h = torch.cat([h, skips.pop()], dim=1)
            for block in blocks_here:
                h = block(h, emb)
        return self.conv_out(F.silu(self.norm_out(h)))


class Autoencoder(nn.Module):
    """The benchmark autoencoder: 1x64x64 -> 4x16x16 -> 1x64x64, widths 32/64.

    Encoder: conv 1->32 | stride-2 conv 32->32 | stride-2 conv 32->64 | conv 64->64, each followed
    by GroupNorm(8) and SiLU; then conv 64->latent (3x3). Decoder: conv latent->64 | conv 64->64 |
    nearest x2, conv 64->32 | nearest x2, conv 32->32, each with GroupNorm and SiLU; conv 32->1.
    `latent_out` is 4 for the plain (benchmark) autoencoder, 8 (mean, log-variance) for KL.
    """

    def __init__(self, channels=1, latent=4, latent_out=4, groups=8):
        super().__init__()
        def unit(cin, cout, stride=1):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1),
                                 nn.GroupNorm(groups, cout), nn.SiLU())
        self.encoder = nn.Sequential(unit(channels, 32), unit(32, 32, 2), unit(32, 64, 2), unit(64, 64),
                                     nn.Conv2d(64, latent_out, 3, padding=1))
        self.decoder_in = nn.Sequential(unit(latent, 64), unit(64, 64))
        self.decoder_up1 = unit(64, 32)
        self.decoder_up2 = unit(32, 32)
        self.decoder_out = nn.Conv2d(32, channels, 3, padding=1)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        h = self.decoder_in(z)
        h = self.decoder_up1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.decoder_up2(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.decoder_out(h)

    def forward(self, x):
        return self.decode(self.encode(x))


if __name__ == "__main__":
    u, a = UNet(), Autoencoder()
    print("UNet parameters:", sum(p.numel() for p in u.parameters()))
    print("Autoencoder parameters:", sum(p.numel() for p in a.parameters()))
    print(u(torch.randn(2, 9, 16, 16), torch.tensor([3, 700])).shape, a(torch.randn(2, 1, 64, 64)).shape)
