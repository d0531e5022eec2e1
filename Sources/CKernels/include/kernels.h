// medsynth's own vector kernels in C, compiled several times for different instruction sets
// (AVX-512, AVX2, the baseline) and chosen at run time by a CPU check, the way OpenBLAS chooses
// its core. Swift cannot compile one function for two CPUs in one build without unsafe flags;
// C's per-function target attributes can, so the loops that gain from wider vectors live here.
// Every variant computes the same sums in the same order: the result does not depend on the CPU.
#ifndef MEDSYNTH_KERNELS_H
#define MEDSYNTH_KERNELS_H

#include <stddef.h>

/// The instruction set the kernels run with: "avx512", "avx2" or "baseline".
const char *medsynth_kernels_instruction_set(void);

/// Makes the kernels use `name` ("avx512", "avx2", "baseline"), for tests that compare the
/// variants; returns 0, or -1 (and changes nothing) when this CPU cannot run it.
int medsynth_kernels_use(const char *name);

/// y[row * width + j] += the nine taps w[0..8] applied to the padded plane around (row, j):
///     sum = w0 x[r][j] + w1 x[r][j+1] + w2 x[r][j+2] + w3 x[r+1][j] + ... + w8 x[r+2][j+2]
/// added in that order, where x is `padded` (rows of `padded_width` = width + 2, one zero row
/// and column on each side).
void medsynth_same_convolution_taps(
    float *y, const float *padded, ptrdiff_t height, ptrdiff_t width, ptrdiff_t padded_width, const float *w);

/// sums[k] += the dot product of the gradient plane g (height x width) with the padded plane
/// shifted by tap k = 3 ki + kj: per tap, sixteen Float lanes over whole blocks of sixteen
/// columns and one Float for the rest, each added up into a Double at the end.
void medsynth_same_convolution_tap_products(
    const float *g, const float *padded, ptrdiff_t height, ptrdiff_t width, ptrdiff_t padded_width, double *sums);

#endif
