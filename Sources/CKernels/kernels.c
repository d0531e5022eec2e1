#include "kernels.h"

#include <string.h>

#ifdef __FAST_MATH__
#error "the kernels promise the same sums on every CPU: build them without -ffast-math"
#endif

// Products and sums stay separate operations, as in the Swift engine: no fused multiply-add,
// whose single rounding would change the results between variants and from the Swift code.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

typedef float lanes16 __attribute__((vector_size(64)));
// Sixteen floats anywhere in memory: loads and stores through it need no alignment. (Macros, not
// functions: a function passing a 64-byte vector would need AVX-512's calling convention.)
typedef float unaligned16 __attribute__((vector_size(64), aligned(4), may_alias));
#define LOAD16(p) (*(const unaligned16 *)(p))
#define STORE16(p, v) (*(unaligned16 *)(p) = (v))

// The body of each kernel, compiled once per instruction set by KERNELS(suffix, attribute).
#define KERNELS(SUFFIX, ATTRIBUTE)                                                                              \
    ATTRIBUTE static void same_convolution_taps_##SUFFIX(                                                      \
        float *y, const float *padded, ptrdiff_t height, ptrdiff_t width, ptrdiff_t padded_width, const float *w) { \
        const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8]; \
        for (ptrdiff_t row = 0; row < height; row++) {                                                          \
            float *out = y + row * width;                                                                       \
            const float *top = padded + row * padded_width, *middle = top + padded_width, *bottom = middle + padded_width; \
            ptrdiff_t j = 0;                                                                                    \
            for (; j + 16 <= width; j += 16) {                                                                  \
                lanes16 sum = w0 * LOAD16(top + j) + w1 * LOAD16(top + j + 1);                                  \
                sum += w2 * LOAD16(top + j + 2);                                                                \
                sum += w3 * LOAD16(middle + j);                                                                 \
                sum += w4 * LOAD16(middle + j + 1);                                                             \
                sum += w5 * LOAD16(middle + j + 2);                                                             \
                sum += w6 * LOAD16(bottom + j);                                                                 \
                sum += w7 * LOAD16(bottom + j + 1);                                                             \
                sum += w8 * LOAD16(bottom + j + 2);                                                             \
                STORE16(out + j, LOAD16(out + j) + sum);                                                        \
            }                                                                                                   \
            for (; j < width; j++) {                                                                            \
                float sum = w0 * top[j] + w1 * top[j + 1];                                                      \
                sum += w2 * top[j + 2];                                                                         \
                sum += w3 * middle[j];                                                                          \
                sum += w4 * middle[j + 1];                                                                      \
                sum += w5 * middle[j + 2];                                                                      \
                sum += w6 * bottom[j];                                                                          \
                sum += w7 * bottom[j + 1];                                                                      \
                sum += w8 * bottom[j + 2];                                                                      \
                out[j] += sum;                                                                                  \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
                                                                                                                \
    ATTRIBUTE static void same_convolution_tap_products_##SUFFIX(                                              \
        const float *g, const float *padded, ptrdiff_t height, ptrdiff_t width, ptrdiff_t padded_width, double *sums) { \
        for (int k = 0; k < 9; k++) {                                                                           \
            const ptrdiff_t ki = k / 3, kj = k % 3;                                                             \
            lanes16 lanes = {0};                                                                                \
            float tail = 0;                                                                                     \
            for (ptrdiff_t row = 0; row < height; row++) {                                                      \
                const float *g_row = g + row * width, *x_row = padded + (row + ki) * padded_width + kj;        \
                ptrdiff_t j = 0;                                                                                \
                for (; j + 16 <= width; j += 16) lanes += LOAD16(g_row + j) * LOAD16(x_row + j);               \
                for (; j < width; j++) tail += g_row[j] * x_row[j];                                             \
            }                                                                                                   \
            /* The lanes in order from -0, as Swift's SIMD sum() adds them. */                                 \
            float total = -0.0f;                                                                                \
            for (int lane = 0; lane < 16; lane++) total += lanes[lane];                                         \
            sums[k] += (double)total + (double)tail;                                                            \
        }                                                                                                       \
    }

KERNELS(baseline, )
#if defined(__x86_64__)
KERNELS(avx2, __attribute__((target("avx2"))))
KERNELS(avx512, __attribute__((target("avx512f"))))
#endif

typedef struct {
    const char *name;
    void (*taps)(float *, const float *, ptrdiff_t, ptrdiff_t, ptrdiff_t, const float *);
    void (*tap_products)(const float *, const float *, ptrdiff_t, ptrdiff_t, ptrdiff_t, double *);
} kernel_set;

static const kernel_set baseline = {"baseline", same_convolution_taps_baseline, same_convolution_tap_products_baseline};
#if defined(__x86_64__)
static const kernel_set avx2 = {"avx2", same_convolution_taps_avx2, same_convolution_tap_products_avx2};
static const kernel_set avx512 = {"avx512", same_convolution_taps_avx512, same_convolution_tap_products_avx512};
#endif

static int supports(const char *name) {
    if (strcmp(name, "baseline") == 0) return 1;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2");
    if (strcmp(name, "avx512") == 0) return __builtin_cpu_supports("avx512f");
#endif
    return 0;
}

static const kernel_set *best(void) {
#if defined(__x86_64__)
    if (supports("avx512")) return &avx512;
    if (supports("avx2")) return &avx2;
#endif
    return &baseline;
}

// Chosen on first use; a data race on this pointer can only store the same value.
static const kernel_set *_Atomic chosen = NULL;

static const kernel_set *current(void) {
    const kernel_set *set = chosen;
    if (!set) chosen = set = best();
    return set;
}

const char *medsynth_kernels_instruction_set(void) { return current()->name; }

int medsynth_kernels_use(const char *name) {
    if (!supports(name)) return -1;
#if defined(__x86_64__)
    if (strcmp(name, "avx512") == 0) { chosen = &avx512; return 0; }
    if (strcmp(name, "avx2") == 0) { chosen = &avx2; return 0; }
#endif
    chosen = &baseline;
    return 0;
}

void medsynth_same_convolution_taps(
    float *y, const float *padded, ptrdiff_t height, ptrdiff_t width, ptrdiff_t padded_width, const float *w) {
    current()->taps(y, padded, height, width, padded_width, w);
}

void medsynth_same_convolution_tap_products(
    const float *g, const float *padded, ptrdiff_t height, ptrdiff_t width, ptrdiff_t padded_width, double *sums) {
    current()->tap_products(g, padded, height, width, padded_width, sums);
}
