// medsynth's door to GDCM (Grassroots DICOM), which parses DICOM files and decodes their pixels in
// every transfer syntax it supports (uncompressed little and big endian, deflated, RLE, JPEG
// baseline, extended and lossless, JPEG-LS, JPEG 2000).
//
// GDCM runs in a child process. Debian builds it with its assertions on, and some valid files
// (pydicom's rtdose_1frame.dcm) and many damaged ones end in abort(); a hostile file could do worse.
// The child is forked on first use and kept: it reads each file it is sent and answers through a
// socket. Whatever happens to it, medsynth gets either its answer or a message saying how it
// ended; the next file gets a new child.
#ifndef MEDSYNTH_DICOM_H
#define MEDSYNTH_DICOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Reads a DICOM file, from `path`, or from `bytes` (`count` of them) when `path` is NULL, in the
/// child process. One call at a time (others wait). With `headers_only`, reading stops before the Pixel Data. Otherwise, pixels
/// are decoded unless they would take more than `max_pixel_bytes`.
///
/// On success returns 0 and sets `*answer` to a buffer of `*answer_length` bytes (release it with
/// medsynth_dicom_free) laid out as Formats/DICOM/DICOMFile.swift reads it:
///   "MSD1"
///   u32 elements; each: u32 path length n, u32 codes[n] ((sequence tag, item) pairs, then the
///       tag; tags as group << 16 | element), u8 kind, text: kind 0 a value as text (StringFilter's:
///       binary numbers in decimal, values separated by backslashes; Pixel Data's text is its
///       length in bytes when native, "encapsulated N" with N fragments), kind 1 a sequence (no
///       text: a u32 item count instead), kind 2 a palette table (its VR's two letters, "??" when
///       implicit, then its bytes as GDCM holds them)
///   text transfer syntax UID
///   the pixels, u8 then:
///     0  none (headers only, or no Pixel Data)
///     1  decoded by GDCM's codecs: pixels after decoding + u64 n + n bytes (little-endian samples)
///     2  text why they cannot be read
///     3  native: text VR + u64 n + n bytes as GDCM holds them (OW words of a big-endian file
///        swapped to little endian when read)
///     4  RLE: u32 fragments, each u64 n + n bytes
/// where text is u32 n + n bytes, and pixels is u32 columns, rows, frames, samples per pixel,
/// bits allocated, bits stored, high bit, pixel representation, planar configuration, 32 bytes
/// of photometric interpretation (NUL-padded), u64 decoded length. Numbers are in the machine's
/// order (little-endian on every machine medsynth builds for).
///
/// On failure returns -1 with the reason in `error` (NUL-terminated, at most `error_capacity` bytes).
int medsynth_dicom_read(const char *path, const void *bytes, size_t count, int headers_only, uint64_t max_pixel_bytes,
                        void **answer, size_t *answer_length, char *error, size_t error_capacity);

void medsynth_dicom_free(void *answer);

#ifdef __cplusplus
}
#endif

#endif
