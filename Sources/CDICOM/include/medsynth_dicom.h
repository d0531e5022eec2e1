// medsynth's door to GDCM (Grassroots DICOM), which parses DICOM files and decodes their pixels in
// every transfer syntax it supports (uncompressed little and big endian, deflated, RLE, JPEG
// baseline, extended and lossless, JPEG-LS, JPEG 2000).
//
// GDCM runs in a child process. Debian builds it with its assertions on, and some valid files
// (pydicom's rtdose_1frame.dcm) and many damaged ones end in abort(); a hostile file could do worse.
// The child reads the file, writes what it found to a pipe, and exits; whatever happens to it,
// medsynth gets either that answer or a message saying how the child ended.
#ifndef MEDSYNTH_DICOM_H
#define MEDSYNTH_DICOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Reads a DICOM file, from `path`, or from `bytes` (`count` of them) when `path` is NULL, in a
/// child process. With `headers_only`, reading stops before the Pixel Data. Otherwise, pixels
/// are decoded unless they would take more than `max_pixel_bytes`.
///
/// On success returns 0 and sets `*answer` to a buffer of `*answer_length` bytes (release it with
/// medsynth_dicom_free) laid out as Formats/DICOM/DICOMFile.swift reads it:
///   "MSD1"
///   u32 elements; each: u32 path length n, u32 codes[n] ((sequence tag, item) pairs, then the
///       tag; tags as group << 16 | element), u8 kind (0 a value, 1 a sequence), u32 length,
///       then length bytes of text (a value) or nothing (a sequence: length is its item count);
///       Pixel Data's text is its length in bytes when native, "encapsulated N" with N fragments
///   text transfer syntax UID
///   text why the file holds no decodable image ("" when it holds one)
///   u8 1 + pixels before decoding, or u8 0
///   u8 0 not decoded, or 1 + pixels after decoding + u64 n + n bytes (little-endian samples),
///      or 2 + text why decoding failed
///   u8 0 no palette, or 1 + i32 first mapped + i32 bits + u32 entries + u16 red, green, blue
///      tables, or 2 + text why the palette cannot be used
/// where text is u32 n + n bytes, and pixels is u32 columns, rows, frames, samples per pixel,
/// bits allocated, bits stored, high bit, pixel representation, planar configuration, 32 bytes
/// of photometric interpretation (NUL-padded), u64 decoded length. Numbers are little-endian.
///
/// On failure returns -1 with the reason in `error` (NUL-terminated, at most `error_capacity` bytes).
int medsynth_dicom_read(const char *path, const void *bytes, size_t count, int headers_only, uint64_t max_pixel_bytes,
                        void **answer, size_t *answer_length, char *error, size_t error_capacity);

void medsynth_dicom_free(void *answer);

#ifdef __cplusplus
}
#endif

#endif
