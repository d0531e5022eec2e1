"""Reference values for Engine's convolution, pooling and upsampling tests, computed with PyTorch.

Run once from this directory (python3 make_conv_fixtures.py) and commit the JSON files it
writes; the tests read them and never need Python. Inputs are float32 values drawn from a fixed
seed; the references are computed in float64 from those same float32 values, so they are the
exact results up to float64 rounding and a test's tolerance measures only Engine's float32
arithmetic. Each case holds its inputs, the gradient of the output it back-propagates, the
output and the gradient of every input, each as {"shape": [...], "values": [...]} (row-major).
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(20240615)


def tensor(t):
    # 9 significant digits: float32 inputs read back exactly, references to 5e-10 relative.
    return {"shape": list(t.shape), "values": [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]}


def draw(*shape):
    # float32 values, then float64 for the exact reference arithmetic.
    return torch.randn(*shape, dtype=torch.float32).double()


def distinct(*shape):
    # A shuffled ramp: no two values closer than 0.05, so max pooling has no ties and its
    # gradient is stable under the finite-difference checks as well.
    n = 1
    for s in shape:
        n *= s
    values = (torch.randperm(n).double() * 0.05 - 0.025 * n).float().double()
    return values.reshape(*shape)


def backward(output, inputs):
    grad_output = draw(*output.shape)
    grads = torch.autograd.grad(output, inputs, grad_output)
    return grad_output, grads


def conv_case(name, n, c, o, h, w, kernel, stride, padding, bias):
    x = draw(n, c, h, w).requires_grad_()
    weight = (draw(o, c, *kernel) * 0.5).requires_grad_()
    b = draw(o).requires_grad_() if bias else None
    y = F.conv2d(x, weight, b, stride=stride, padding=padding)
    inputs = [x, weight] + ([b] if bias else [])
    g, grads = backward(y, inputs)
    case = {"name": name, "stride": list(stride), "padding": list(padding),
            "input": tensor(x), "weight": tensor(weight), "gradOutput": tensor(g),
            "output": tensor(y), "gradInput": tensor(grads[0]), "gradWeight": tensor(grads[1])}
    if bias:
        case["bias"] = tensor(b)
        case["gradBias"] = tensor(grads[2])
    return case


def pool_case(name, kind, n, c, h, w, kernel, stride, padding):
    x = distinct(n, c, h, w).requires_grad_()
    if kind == "max":
        y = F.max_pool2d(x, kernel, stride=stride, padding=padding)
    else:
        y = F.avg_pool2d(x, kernel, stride=stride, padding=padding, count_include_pad=True)
    g, (dx,) = backward(y, [x])
    return {"name": name, "kind": kind, "kernel": list(kernel), "stride": list(stride), "padding": list(padding),
            "input": tensor(x), "gradOutput": tensor(g), "output": tensor(y), "gradInput": tensor(dx)}


def upsample_case(name, mode, n, c, h, w, scale=None, size=None):
    x = draw(n, c, h, w).requires_grad_()
    if mode == "nearest":
        y = F.interpolate(x, scale_factor=scale, mode="nearest")
    elif size is not None:
        y = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    else:
        y = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    g, (dx,) = backward(y, [x])
    case = {"name": name, "mode": mode, "input": tensor(x), "gradOutput": tensor(g),
            "output": tensor(y), "gradInput": tensor(dx)}
    if scale is not None:
        case["scale"] = list(scale)
    if size is not None:
        case["size"] = list(size)
    return case


def write(path, cases):
    with open(path, "w") as f:
        json.dump({"generator": f"make_conv_fixtures.py, PyTorch {torch.__version__}, float64 references",
                   "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


write("conv2d.json", [
    conv_case("3x3 stride 1 padding 1", 2, 3, 4, 8, 8, (3, 3), (1, 1), (1, 1), bias=True),
    conv_case("3x2 stride (2, 1) padding (1, 0)", 2, 3, 5, 7, 6, (3, 2), (2, 1), (1, 0), bias=True),
    conv_case("1x1 no bias", 2, 3, 4, 5, 4, (1, 1), (1, 1), (0, 0), bias=False),
    conv_case("5x5 stride 2 padding 2", 2, 3, 2, 9, 9, (5, 5), (2, 2), (2, 2), bias=True),
    conv_case("4x3 stride 3 padding (0, 2), uncovered edge", 2, 3, 3, 10, 11, (4, 3), (3, 3), (0, 2), bias=False),
    conv_case("kernel wider than the image", 2, 3, 2, 3, 2, (3, 5), (1, 2), (1, 2), bias=True),
])

write("pooling.json", [
    pool_case("max 2x2 stride 2", "max", 2, 3, 6, 8, (2, 2), (2, 2), (0, 0)),
    pool_case("max 3x3 stride 2 padding 1", "max", 2, 3, 7, 6, (3, 3), (2, 2), (1, 1)),
    pool_case("max 3x2 stride (1, 2) padding (1, 0)", "max", 2, 3, 5, 7, (3, 2), (1, 2), (1, 0)),
    pool_case("avg 2x2 stride 2", "avg", 2, 3, 6, 8, (2, 2), (2, 2), (0, 0)),
    pool_case("avg 3x3 stride 2 padding 1", "avg", 2, 3, 7, 6, (3, 3), (2, 2), (1, 1)),
    pool_case("avg 2x3 stride (1, 2) padding (1, 1)", "avg", 2, 3, 5, 7, (2, 3), (1, 2), (1, 1)),
])

write("upsampling.json", [
    upsample_case("nearest x2", "nearest", 2, 3, 4, 5, scale=(2, 2)),
    upsample_case("nearest x(3, 2)", "nearest", 2, 3, 3, 4, scale=(3, 2)),
    upsample_case("bilinear x2", "bilinear", 2, 3, 4, 5, scale=(2, 2)),
    upsample_case("bilinear x3", "bilinear", 2, 3, 3, 4, scale=(3, 3)),
    upsample_case("bilinear to 7x3", "bilinear", 2, 3, 5, 6, size=(7, 3)),
    upsample_case("bilinear to 1x9", "bilinear", 1, 2, 4, 4, size=(1, 9)),
])

# The 3x3 "same" convolutions with 16 or more channels on both sides, which Engine computes by
# Winograd's F(2x2, 3x3) rather than im2col: an odd plane (tiles that pass the edge), a 1x1
# plane and a plane of whole tiles. A seed of their own, so the files above stay as they were.
torch.manual_seed(20261205)
write("conv2d_winograd.json", [
    conv_case("Winograd, 7x5 plane", 3, 16, 20, 7, 5, (3, 3), (1, 1), (1, 1), bias=True),
    conv_case("Winograd, 1x1 plane", 2, 16, 16, 1, 1, (3, 3), (1, 1), (1, 1), bias=False),
    conv_case("Winograd, 4x6 plane", 2, 24, 16, 4, 6, (3, 3), (1, 1), (1, 1), bias=True),
])
