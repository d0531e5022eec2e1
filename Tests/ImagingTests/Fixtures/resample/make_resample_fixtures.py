"""Resampling reference fixtures (test fixtures only): scipy.ndimage.zoom, pixel-area aligned.

Made with scipy 1.17.1, numpy 2.4.6 (Python 3.11); runtime code never needs them.
Run from anywhere: python3 make_resample_fixtures.py  (writes resample.json next to this file;
deterministic: inputs come from numpy.random.default_rng with fixed seeds or are written out here).

Every case is
    scipy.ndimage.zoom(input, zoom=(out_h / in_h, out_w / in_w), order=ORDER, mode='nearest', grid_mode=True)
on a float64 input. With grid_mode=True scipy takes only the output shape from `zoom`
(round(in_n * zoom_n)) and then samples output pixel k of an axis at
    c = ((k + 0.5) * (in_n / out_n)) - 0.5        (evaluated in double, in exactly that order)
clamped to the edge (mode='nearest'). Order 1: i0 = floor(c), weights 1 - (c - i0) and c - i0 on
i0 and i0 + 1 (indices clamped to [0, n - 1]). Order 0: index floor(c + 0.5), i.e. an exact tie
(c = m + 0.5) goes to the upper pixel m + 1; clamped to [0, n - 1].

Each case records name, order, input, input_shape, output_shape, output, call (the scipy call as a
string), zoom (the factors passed), and, as extras, the per-axis sample coordinates scipy computes
(row_coords, col_coords) and, for order 0, the input indices they pick (row_index, col_index).
"""
import json
import math
import os

import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))


def labels_nested():
    """(12, 10) nested rectangles 0..3, deliberately off-centre with edges on odd indices, so that
    rounding a tie down instead of up changes the result."""
    a = np.zeros((12, 10))
    a[1:11, 1:9] = 1
    a[3:9, 2:7] = 2
    a[5:7, 3:6] = 3
    return a


def labels_scattered():
    """(9, 7) scattered labels; some on pixels that (4, 3) nearest sampling reads, some not."""
    a = np.zeros((9, 7))
    for (r, c), v in {(1, 1): 1, (3, 5): 2, (5, 3): 3, (7, 1): 2, (2, 2): 1, (4, 4): 3, (8, 6): 1,
                      (0, 0): 2, (7, 5): 3}.items():
        a[r, c] = v
    return a


CASES = [
    ('image-up', 1, np.random.default_rng(0).random((7, 9)), (10, 13)),
    ('image-down', 1, np.random.default_rng(1).random((12, 16)), (5, 7)),
    ('image-half', 1, np.random.default_rng(2).random((8, 8)), (4, 4)),
    ('label-down', 0, labels_nested(), (6, 5)),
    ('label-up', 0, labels_nested(), (17, 23)),
    ('label-odd', 0, labels_scattered(), (4, 3)),
]


def coords(n_in, n_out):
    """The sample coordinates scipy's NI_ZoomShift computes with grid_mode=True."""
    z = np.float64(n_in) / np.float64(n_out)  # what zoom() passes down: input.shape / output_shape
    out = []
    for k in range(n_out):
        c = float(k)
        c += 0.5
        c *= z
        c -= 0.5
        out.append(float(c))
    return out


def make_case(name, order, data, out_shape):
    in_shape = data.shape
    factors = [o / i for i, o in zip(in_shape, out_shape)]
    # zoom() computes the output shape as int(round(in_n * zoom_n)); nudge a factor if that misses.
    for axis in range(2):
        n_in, n_out = in_shape[axis], out_shape[axis]
        if int(round(n_in * factors[axis])) != n_out:
            factors[axis] = (n_out + 1e-9) / n_in
        assert int(round(n_in * factors[axis])) == n_out, (name, axis)
    zoom = tuple(float(f) for f in factors)
    call = f"scipy.ndimage.zoom(input, zoom={zoom!r}, order={order}, mode='nearest', grid_mode=True)"
    out = ndimage.zoom(data, zoom=zoom, order=order, mode='nearest', grid_mode=True)
    assert out.shape == tuple(out_shape), (name, out.shape, out_shape)
    assert out.dtype == np.float64
    rows, cols = coords(in_shape[0], out_shape[0]), coords(in_shape[1], out_shape[1])
    case = {
        'name': name,
        'order': order,
        'input_shape': list(in_shape),
        'output_shape': list(out_shape),
        'zoom': list(zoom),
        'call': call,
        'row_coords': rows,
        'col_coords': cols,
    }
    if order == 0:
        clamp = lambda c, n: min(max(int(math.floor(c + 0.5)), 0), n - 1)
        ri = [clamp(c, in_shape[0]) for c in rows]
        ci = [clamp(c, in_shape[1]) for c in cols]
        # The indices explain scipy's output exactly.
        assert np.array_equal(out, data[np.ix_(ri, ci)]), name
        case['row_index'], case['col_index'] = ri, ci
    else:
        # Re-derive order 1 from the formula in the docstring to make sure it is the one scipy uses.
        def weights(c, n):
            i0 = math.floor(c)
            w0 = 1.0 - (c - i0)
            return min(max(i0, 0), n - 1), min(max(i0 + 1, 0), n - 1), w0, 1.0 - w0
        mine = np.empty(out_shape)
        for r, rc in enumerate(rows):
            r0, r1, wr0, wr1 = weights(rc, in_shape[0])
            for c, cc in enumerate(cols):
                c0, c1, wc0, wc1 = weights(cc, in_shape[1])
                mine[r, c] = (data[r0, c0] * wr0 * wc0 + data[r0, c1] * wr0 * wc1
                              + data[r1, c0] * wr1 * wc0 + data[r1, c1] * wr1 * wc1)
        assert np.array_equal(mine, out), name  # bit for bit
    case['input'] = data.tolist()
    case['output'] = out.tolist()
    return case


def dump(cases):
    """JSON with one matrix row per line, every float as Python's shortest round-trip repr."""
    lines = ['[']
    for n, case in enumerate(cases):
        lines.append(' {')
        items = list(case.items())
        for m, (key, value) in enumerate(items):
            comma = ',' if m < len(items) - 1 else ''
            if key in ('input', 'output'):
                rows = [json.dumps(row) for row in value]
                lines.append(f'  "{key}": [')
                lines += [f'   {row}' + (',' if r < len(rows) - 1 else '') for r, row in enumerate(rows)]
                lines.append('  ]' + comma)
            else:
                lines.append(f'  {json.dumps(key)}: {json.dumps(value)}{comma}')
        lines.append(' }' + (',' if n < len(cases) - 1 else ''))
    lines.append(']')
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    cases = [make_case(*c) for c in CASES]
    text = dump(cases)
    assert json.loads(text) == json.loads(json.dumps(cases))
    with open(os.path.join(HERE, 'resample.json'), 'w') as f:
        f.write(text)
