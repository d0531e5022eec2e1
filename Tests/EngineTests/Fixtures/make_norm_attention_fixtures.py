#!/usr/bin/env python3
"""Reference values for Engine's GroupNorm, LayerNorm and spatial self-attention, from PyTorch.

Run once (python3 make_norm_attention_fixtures.py) to write norm_attention_fixtures.json next to
this script; the Swift tests read that file and need no Python. Each case holds its inputs, the
parameters, a fixed output gradient g (the loss is sum(y * g)), the output y and the gradients
of every input and parameter. Tensors are {"shape": [...], "values": [...]} in row-major order,
float32 values in the shortest decimal form that reads back as the same float32.

Made with torch 2.15 on CPU in float32; the values depend only on torch.manual_seed below.
"""
import json
import pathlib

import numpy as np
import torch

torch.manual_seed(20240611)


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    # The shortest decimal that reads back as the same float32 (numpy's str), as a JSON number.
    return {"shape": list(t.shape), "values": [float(str(v)) for v in t.flatten().numpy()]}


def group_norm_case(shape, groups):
    n, c = shape[0], shape[1]
    x = (torch.randn(shape) * 2 + 0.5).requires_grad_()
    weight = (torch.randn(c) * 0.5 + 1).requires_grad_()
    bias = (torch.randn(c) * 0.5).requires_grad_()
    y = torch.nn.functional.group_norm(x, groups, weight, bias, eps=1e-5)
    g = torch.randn(shape)
    (y * g).sum().backward()
    return {"groups": groups, "epsilon": 1e-5,
            "x": tensor(x), "weight": tensor(weight), "bias": tensor(bias), "g": tensor(g),
            "y": tensor(y), "dx": tensor(x.grad), "dweight": tensor(weight.grad), "dbias": tensor(bias.grad)}


def layer_norm_case(shape):
    d = shape[-1]
    x = (torch.randn(shape) * 3 - 1).requires_grad_()
    weight = (torch.randn(d) * 0.5 + 1).requires_grad_()
    bias = (torch.randn(d) * 0.5).requires_grad_()
    y = torch.nn.functional.layer_norm(x, [d], weight, bias, eps=1e-5)
    g = torch.randn(shape)
    (y * g).sum().backward()
    return {"epsilon": 1e-5,
            "x": tensor(x), "weight": tensor(weight), "bias": tensor(bias), "g": tensor(g),
            "y": tensor(y), "dx": tensor(x.grad), "dweight": tensor(weight.grad), "dbias": tensor(bias.grad)}


def attention_case(n, c, h, w, heads):
    """nn.MultiheadAttention(batch_first=True) over the H*W positions of an NCHW image, as
    Engine's SpatialSelfAttention: tokens [N, H*W, C], query = key = value = tokens."""
    mha = torch.nn.MultiheadAttention(c, heads, batch_first=True)
    with torch.no_grad():  # non-zero biases everywhere, so that every gradient is tested
        mha.in_proj_weight.copy_(torch.randn(3 * c, c) * 0.4)
        mha.in_proj_bias.copy_(torch.randn(3 * c) * 0.2)
        mha.out_proj.weight.copy_(torch.randn(c, c) * 0.4)
        mha.out_proj.bias.copy_(torch.randn(c) * 0.2)
    x = torch.randn(n, c, h, w).requires_grad_()
    tokens = x.reshape(n, c, h * w).transpose(1, 2)
    out, _ = mha(tokens, tokens, tokens, need_weights=False)
    y = out.transpose(1, 2).reshape(n, c, h, w)
    g = torch.randn(n, c, h, w)
    (y * g).sum().backward()
    wq, wk, wv = mha.in_proj_weight.chunk(3)
    bq, bk, bv = mha.in_proj_bias.chunk(3)
    dwq, dwk, dwv = mha.in_proj_weight.grad.chunk(3)
    dbq, dbk, dbv = mha.in_proj_bias.grad.chunk(3)
    return {"heads": heads, "x": tensor(x), "g": tensor(g), "y": tensor(y), "dx": tensor(x.grad),
            "parameters": {
                "query.weight": tensor(wq), "query.bias": tensor(bq),
                "key.weight": tensor(wk), "key.bias": tensor(bk),
                "value.weight": tensor(wv), "value.bias": tensor(bv),
                "output.weight": tensor(mha.out_proj.weight), "output.bias": tensor(mha.out_proj.bias)},
            "gradients": {
                "query.weight": tensor(dwq), "query.bias": tensor(dbq),
                "key.weight": tensor(dwk), "key.bias": tensor(dbk),
                "value.weight": tensor(dwv), "value.bias": tensor(dbv),
                "output.weight": tensor(mha.out_proj.weight.grad), "output.bias": tensor(mha.out_proj.bias.grad)}}


fixtures = {
    "torch": torch.__version__,
    # Channels of 20 values (the kernel's 16-lane loop and its tail), 3 groups of 2 channels.
    "groupNorm": group_norm_case([2, 6, 5, 4], groups=3),
    # One group of 1056 values: sums carried past the kernel's 1024-value blocks.
    "groupNormLarge": group_norm_case([1, 2, 16, 33], groups=1),
    "layerNorm": layer_norm_case([2, 3, 7]),
    "attention": attention_case(2, 8, 2, 3, heads=2),
}
path = pathlib.Path(__file__).with_name("norm_attention_fixtures.json")
path.write_text(json.dumps(fixtures, separators=(",", ":")) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes)")
