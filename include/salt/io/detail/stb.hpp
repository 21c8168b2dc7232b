// salt/io/detail/stb.hpp — salt's private copy of stb_image / stb_image_write (PNG only).
//
// Users may include salt in many translation units and may also use stb themselves (with or without
// their own STB_IMAGE_IMPLEMENTATION, before or after salt). To stay out of their way:
//  * every macro stb reads or defines is saved with push_macro, cleared, and restored afterwards, so
//    the user's configuration, include guards and implementation switches are untouched;
//  * the implementation is compiled with STB_IMAGE_STATIC / STB_IMAGE_WRITE_STATIC (internal linkage)
//    inside namespace salt::io::detail::stb, so nothing clashes at link time;
//  * every public stb function is renamed to salt_stbi_* by macro, because stb_image.h declares its API
//    extern "C" and C-linkage names clash across namespaces within one translation unit.
// Only PNG decoding (stb_image) and PNG encoding (stb_image_write) are compiled in. Not a public header.
#pragma once

// The C headers stb includes, included here at global scope so stb's own #includes (inside the
// namespace below) are no-ops thanks to their include guards. assert.h is avoided (STBI_ASSERT below).
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma push_macro("INCLUDE_STB_IMAGE_WRITE_H")
#pragma push_macro("STBIDEF")
#pragma push_macro("STBIWDEF")
#pragma push_macro("STBIW_ASSERT")
#pragma push_macro("STBIW_CRC32")
#pragma push_macro("STBIW_EXTERN")
#pragma push_macro("STBIW_FREE")
#pragma push_macro("STBIW_MALLOC")
#pragma push_macro("STBIW_MEMMOVE")
#pragma push_macro("STBIW_REALLOC")
#pragma push_macro("STBIW_REALLOC_SIZED")
#pragma push_macro("STBIW_UCHAR")
#pragma push_macro("STBIW_WINDOWS_UTF8")
#pragma push_macro("STBIW_ZLIB_COMPRESS")
#pragma push_macro("STBI_ASSERT")
#pragma push_macro("STBI_EXTERN")
#pragma push_macro("STBI_FAILURE_USERMSG")
#pragma push_macro("STBI_FREE")
#pragma push_macro("STBI_HAS_LROTL")
#pragma push_macro("STBI_INCLUDE_STB_IMAGE_H")
#pragma push_macro("STBI_MALLOC")
#pragma push_macro("STBI_MAX_DIMENSIONS")
#pragma push_macro("STBI_MINGW_ENABLE_SSE2")
#pragma push_macro("STBI_NEON")
#pragma push_macro("STBI_NOTUSED")
#pragma push_macro("STBI_NO_BMP")
#pragma push_macro("STBI_NO_FAILURE_STRINGS")
#pragma push_macro("STBI_NO_GIF")
#pragma push_macro("STBI_NO_HDR")
#pragma push_macro("STBI_NO_JPEG")
#pragma push_macro("STBI_NO_LINEAR")
#pragma push_macro("STBI_NO_PIC")
#pragma push_macro("STBI_NO_PNG")
#pragma push_macro("STBI_NO_PNM")
#pragma push_macro("STBI_NO_PSD")
#pragma push_macro("STBI_NO_SIMD")
#pragma push_macro("STBI_NO_STDIO")
#pragma push_macro("STBI_NO_TGA")
#pragma push_macro("STBI_NO_THREAD_LOCALS")
#pragma push_macro("STBI_NO_ZLIB")
#pragma push_macro("STBI_ONLY_BMP")
#pragma push_macro("STBI_ONLY_GIF")
#pragma push_macro("STBI_ONLY_HDR")
#pragma push_macro("STBI_ONLY_JPEG")
#pragma push_macro("STBI_ONLY_PIC")
#pragma push_macro("STBI_ONLY_PNG")
#pragma push_macro("STBI_ONLY_PNM")
#pragma push_macro("STBI_ONLY_PSD")
#pragma push_macro("STBI_ONLY_TGA")
#pragma push_macro("STBI_REALLOC")
#pragma push_macro("STBI_REALLOC_SIZED")
#pragma push_macro("STBI_SIMD_ALIGN")
#pragma push_macro("STBI_SSE2")
#pragma push_macro("STBI_SUPPORT_ZLIB")
#pragma push_macro("STBI_THREAD_LOCAL")
#pragma push_macro("STBI_VERSION")
#pragma push_macro("STBI_WINDOWS_UTF8")
#pragma push_macro("STBI_WRITE_NO_STDIO")
#pragma push_macro("STBI__BYTECAST")
#pragma push_macro("STBI__CASE")
#pragma push_macro("STBI__COMBO")
#pragma push_macro("STBI__HDR_BUFLEN")
#pragma push_macro("STBI__IDCT_1D")
#pragma push_macro("STBI__MARKER_none")
#pragma push_macro("STBI__PNG_TYPE")
#pragma push_macro("STBI__RESTART")
#pragma push_macro("STBI__X64_TARGET")
#pragma push_macro("STBI__X86_TARGET")
#pragma push_macro("STBI__ZFAST_BITS")
#pragma push_macro("STBI__ZFAST_MASK")
#pragma push_macro("STBI__ZNSYMS")
#pragma push_macro("STB_IMAGE_IMPLEMENTATION")
#pragma push_macro("STB_IMAGE_STATIC")
#pragma push_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#pragma push_macro("STB_IMAGE_WRITE_STATIC")
#pragma push_macro("stbi__de_iphone_flag")
#pragma push_macro("stbi__err")
#pragma push_macro("stbi__errpf")
#pragma push_macro("stbi__errpuc")
#pragma push_macro("stbi__unpremultiply_on_load")
#pragma push_macro("stbi__unpremultiply_on_load_thread")
#pragma push_macro("stbi__vertically_flip_on_load")
#pragma push_macro("stbi_convert_iphone_png_to_rgb")
#pragma push_macro("stbi_convert_iphone_png_to_rgb_thread")
#pragma push_macro("stbi_convert_wchar_to_utf8")
#pragma push_macro("stbi_failure_reason")
#pragma push_macro("stbi_flip_vertically_on_write")
#pragma push_macro("stbi_hdr_to_ldr_gamma")
#pragma push_macro("stbi_hdr_to_ldr_scale")
#pragma push_macro("stbi_image_free")
#pragma push_macro("stbi_info")
#pragma push_macro("stbi_info_from_callbacks")
#pragma push_macro("stbi_info_from_file")
#pragma push_macro("stbi_info_from_memory")
#pragma push_macro("stbi_inline")
#pragma push_macro("stbi_is_16_bit")
#pragma push_macro("stbi_is_16_bit_from_callbacks")
#pragma push_macro("stbi_is_16_bit_from_file")
#pragma push_macro("stbi_is_16_bit_from_memory")
#pragma push_macro("stbi_is_hdr")
#pragma push_macro("stbi_is_hdr_from_callbacks")
#pragma push_macro("stbi_is_hdr_from_file")
#pragma push_macro("stbi_is_hdr_from_memory")
#pragma push_macro("stbi_ldr_to_hdr_gamma")
#pragma push_macro("stbi_ldr_to_hdr_scale")
#pragma push_macro("stbi_load")
#pragma push_macro("stbi_load_16")
#pragma push_macro("stbi_load_16_from_callbacks")
#pragma push_macro("stbi_load_16_from_memory")
#pragma push_macro("stbi_load_from_callbacks")
#pragma push_macro("stbi_load_from_file")
#pragma push_macro("stbi_load_from_file_16")
#pragma push_macro("stbi_load_from_memory")
#pragma push_macro("stbi_load_gif_from_memory")
#pragma push_macro("stbi_loadf")
#pragma push_macro("stbi_loadf_from_callbacks")
#pragma push_macro("stbi_loadf_from_file")
#pragma push_macro("stbi_loadf_from_memory")
#pragma push_macro("stbi_lrot")
#pragma push_macro("stbi_set_flip_vertically_on_load")
#pragma push_macro("stbi_set_flip_vertically_on_load_thread")
#pragma push_macro("stbi_set_unpremultiply_on_load")
#pragma push_macro("stbi_set_unpremultiply_on_load_thread")
#pragma push_macro("stbi_write_bmp")
#pragma push_macro("stbi_write_bmp_to_func")
#pragma push_macro("stbi_write_force_png_filter")
#pragma push_macro("stbi_write_hdr")
#pragma push_macro("stbi_write_hdr_to_func")
#pragma push_macro("stbi_write_jpg")
#pragma push_macro("stbi_write_jpg_to_func")
#pragma push_macro("stbi_write_png")
#pragma push_macro("stbi_write_png_compression_level")
#pragma push_macro("stbi_write_png_to_func")
#pragma push_macro("stbi_write_png_to_mem")
#pragma push_macro("stbi_write_tga")
#pragma push_macro("stbi_write_tga_to_func")
#pragma push_macro("stbi_write_tga_with_rle")
#pragma push_macro("stbi_zlib_compress")
#pragma push_macro("stbi_zlib_decode_buffer")
#pragma push_macro("stbi_zlib_decode_malloc")
#pragma push_macro("stbi_zlib_decode_malloc_guesssize")
#pragma push_macro("stbi_zlib_decode_malloc_guesssize_headerflag")
#pragma push_macro("stbi_zlib_decode_noheader_buffer")
#pragma push_macro("stbi_zlib_decode_noheader_malloc")
#pragma push_macro("stbiw__ZHASH")
#pragma push_macro("stbiw__max")
#pragma push_macro("stbiw__sbcount")
#pragma push_macro("stbiw__sbfree")
#pragma push_macro("stbiw__sbgrow")
#pragma push_macro("stbiw__sbm")
#pragma push_macro("stbiw__sbmaybegrow")
#pragma push_macro("stbiw__sbn")
#pragma push_macro("stbiw__sbneedgrow")
#pragma push_macro("stbiw__sbpush")
#pragma push_macro("stbiw__sbraw")
#pragma push_macro("stbiw__wp32")
#pragma push_macro("stbiw__wpng4")
#pragma push_macro("stbiw__wptag")
#pragma push_macro("stbiw__zlib_add")
#pragma push_macro("stbiw__zlib_flush")
#pragma push_macro("stbiw__zlib_huff")
#pragma push_macro("stbiw__zlib_huff1")
#pragma push_macro("stbiw__zlib_huff2")
#pragma push_macro("stbiw__zlib_huff3")
#pragma push_macro("stbiw__zlib_huff4")
#pragma push_macro("stbiw__zlib_huffa")
#pragma push_macro("stbiw__zlib_huffb")
#pragma push_macro("stbiw_convert_wchar_to_utf8")
#undef INCLUDE_STB_IMAGE_WRITE_H
#undef STBIDEF
#undef STBIWDEF
#undef STBIW_ASSERT
#undef STBIW_CRC32
#undef STBIW_EXTERN
#undef STBIW_FREE
#undef STBIW_MALLOC
#undef STBIW_MEMMOVE
#undef STBIW_REALLOC
#undef STBIW_REALLOC_SIZED
#undef STBIW_UCHAR
#undef STBIW_WINDOWS_UTF8
#undef STBIW_ZLIB_COMPRESS
#undef STBI_ASSERT
#undef STBI_EXTERN
#undef STBI_FAILURE_USERMSG
#undef STBI_FREE
#undef STBI_HAS_LROTL
#undef STBI_INCLUDE_STB_IMAGE_H
#undef STBI_MALLOC
#undef STBI_MAX_DIMENSIONS
#undef STBI_MINGW_ENABLE_SSE2
#undef STBI_NEON
#undef STBI_NOTUSED
#undef STBI_NO_BMP
#undef STBI_NO_FAILURE_STRINGS
#undef STBI_NO_GIF
#undef STBI_NO_HDR
#undef STBI_NO_JPEG
#undef STBI_NO_LINEAR
#undef STBI_NO_PIC
#undef STBI_NO_PNG
#undef STBI_NO_PNM
#undef STBI_NO_PSD
#undef STBI_NO_SIMD
#undef STBI_NO_STDIO
#undef STBI_NO_TGA
#undef STBI_NO_THREAD_LOCALS
#undef STBI_NO_ZLIB
#undef STBI_ONLY_BMP
#undef STBI_ONLY_GIF
#undef STBI_ONLY_HDR
#undef STBI_ONLY_JPEG
#undef STBI_ONLY_PIC
#undef STBI_ONLY_PNG
#undef STBI_ONLY_PNM
#undef STBI_ONLY_PSD
#undef STBI_ONLY_TGA
#undef STBI_REALLOC
#undef STBI_REALLOC_SIZED
#undef STBI_SIMD_ALIGN
#undef STBI_SSE2
#undef STBI_SUPPORT_ZLIB
#undef STBI_THREAD_LOCAL
#undef STBI_VERSION
#undef STBI_WINDOWS_UTF8
#undef STBI_WRITE_NO_STDIO
#undef STBI__BYTECAST
#undef STBI__CASE
#undef STBI__COMBO
#undef STBI__HDR_BUFLEN
#undef STBI__IDCT_1D
#undef STBI__MARKER_none
#undef STBI__PNG_TYPE
#undef STBI__RESTART
#undef STBI__X64_TARGET
#undef STBI__X86_TARGET
#undef STBI__ZFAST_BITS
#undef STBI__ZFAST_MASK
#undef STBI__ZNSYMS
#undef STB_IMAGE_IMPLEMENTATION
#undef STB_IMAGE_STATIC
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef STB_IMAGE_WRITE_STATIC
#undef stbi__de_iphone_flag
#undef stbi__err
#undef stbi__errpf
#undef stbi__errpuc
#undef stbi__unpremultiply_on_load
#undef stbi__unpremultiply_on_load_thread
#undef stbi__vertically_flip_on_load
#undef stbi_convert_iphone_png_to_rgb
#undef stbi_convert_iphone_png_to_rgb_thread
#undef stbi_convert_wchar_to_utf8
#undef stbi_failure_reason
#undef stbi_flip_vertically_on_write
#undef stbi_hdr_to_ldr_gamma
#undef stbi_hdr_to_ldr_scale
#undef stbi_image_free
#undef stbi_info
#undef stbi_info_from_callbacks
#undef stbi_info_from_file
#undef stbi_info_from_memory
#undef stbi_inline
#undef stbi_is_16_bit
#undef stbi_is_16_bit_from_callbacks
#undef stbi_is_16_bit_from_file
#undef stbi_is_16_bit_from_memory
#undef stbi_is_hdr
#undef stbi_is_hdr_from_callbacks
#undef stbi_is_hdr_from_file
#undef stbi_is_hdr_from_memory
#undef stbi_ldr_to_hdr_gamma
#undef stbi_ldr_to_hdr_scale
#undef stbi_load
#undef stbi_load_16
#undef stbi_load_16_from_callbacks
#undef stbi_load_16_from_memory
#undef stbi_load_from_callbacks
#undef stbi_load_from_file
#undef stbi_load_from_file_16
#undef stbi_load_from_memory
#undef stbi_load_gif_from_memory
#undef stbi_loadf
#undef stbi_loadf_from_callbacks
#undef stbi_loadf_from_file
#undef stbi_loadf_from_memory
#undef stbi_lrot
#undef stbi_set_flip_vertically_on_load
#undef stbi_set_flip_vertically_on_load_thread
#undef stbi_set_unpremultiply_on_load
#undef stbi_set_unpremultiply_on_load_thread
#undef stbi_write_bmp
#undef stbi_write_bmp_to_func
#undef stbi_write_force_png_filter
#undef stbi_write_hdr
#undef stbi_write_hdr_to_func
#undef stbi_write_jpg
#undef stbi_write_jpg_to_func
#undef stbi_write_png
#undef stbi_write_png_compression_level
#undef stbi_write_png_to_func
#undef stbi_write_png_to_mem
#undef stbi_write_tga
#undef stbi_write_tga_to_func
#undef stbi_write_tga_with_rle
#undef stbi_zlib_compress
#undef stbi_zlib_decode_buffer
#undef stbi_zlib_decode_malloc
#undef stbi_zlib_decode_malloc_guesssize
#undef stbi_zlib_decode_malloc_guesssize_headerflag
#undef stbi_zlib_decode_noheader_buffer
#undef stbi_zlib_decode_noheader_malloc
#undef stbiw__ZHASH
#undef stbiw__max
#undef stbiw__sbcount
#undef stbiw__sbfree
#undef stbiw__sbgrow
#undef stbiw__sbm
#undef stbiw__sbmaybegrow
#undef stbiw__sbn
#undef stbiw__sbneedgrow
#undef stbiw__sbpush
#undef stbiw__sbraw
#undef stbiw__wp32
#undef stbiw__wpng4
#undef stbiw__wptag
#undef stbiw__zlib_add
#undef stbiw__zlib_flush
#undef stbiw__zlib_huff
#undef stbiw__zlib_huff1
#undef stbiw__zlib_huff2
#undef stbiw__zlib_huff3
#undef stbiw__zlib_huff4
#undef stbiw__zlib_huffa
#undef stbiw__zlib_huffb
#undef stbiw_convert_wchar_to_utf8

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_WRITE_NO_STDIO
#define STBI_NO_SIMD
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ASSERT(x) ((void)0)
#define STBIW_ASSERT(x) ((void)0)
#define stbi__unpremultiply_on_load_thread salt_stbi__unpremultiply_on_load_thread
#define stbi_convert_iphone_png_to_rgb salt_stbi_convert_iphone_png_to_rgb
#define stbi_convert_iphone_png_to_rgb_thread salt_stbi_convert_iphone_png_to_rgb_thread
#define stbi_convert_wchar_to_utf8 salt_stbi_convert_wchar_to_utf8
#define stbi_failure_reason salt_stbi_failure_reason
#define stbi_flip_vertically_on_write salt_stbi_flip_vertically_on_write
#define stbi_hdr_to_ldr_gamma salt_stbi_hdr_to_ldr_gamma
#define stbi_hdr_to_ldr_scale salt_stbi_hdr_to_ldr_scale
#define stbi_image_free salt_stbi_image_free
#define stbi_info salt_stbi_info
#define stbi_info_from_callbacks salt_stbi_info_from_callbacks
#define stbi_info_from_file salt_stbi_info_from_file
#define stbi_info_from_memory salt_stbi_info_from_memory
#define stbi_is_16_bit salt_stbi_is_16_bit
#define stbi_is_16_bit_from_callbacks salt_stbi_is_16_bit_from_callbacks
#define stbi_is_16_bit_from_file salt_stbi_is_16_bit_from_file
#define stbi_is_16_bit_from_memory salt_stbi_is_16_bit_from_memory
#define stbi_is_hdr salt_stbi_is_hdr
#define stbi_is_hdr_from_callbacks salt_stbi_is_hdr_from_callbacks
#define stbi_is_hdr_from_file salt_stbi_is_hdr_from_file
#define stbi_is_hdr_from_memory salt_stbi_is_hdr_from_memory
#define stbi_ldr_to_hdr_gamma salt_stbi_ldr_to_hdr_gamma
#define stbi_ldr_to_hdr_scale salt_stbi_ldr_to_hdr_scale
#define stbi_load salt_stbi_load
#define stbi_load_16 salt_stbi_load_16
#define stbi_load_16_from_callbacks salt_stbi_load_16_from_callbacks
#define stbi_load_16_from_memory salt_stbi_load_16_from_memory
#define stbi_load_from_callbacks salt_stbi_load_from_callbacks
#define stbi_load_from_file salt_stbi_load_from_file
#define stbi_load_from_file_16 salt_stbi_load_from_file_16
#define stbi_load_from_memory salt_stbi_load_from_memory
#define stbi_load_gif_from_memory salt_stbi_load_gif_from_memory
#define stbi_loadf salt_stbi_loadf
#define stbi_loadf_from_callbacks salt_stbi_loadf_from_callbacks
#define stbi_loadf_from_file salt_stbi_loadf_from_file
#define stbi_loadf_from_memory salt_stbi_loadf_from_memory
#define stbi_set_flip_vertically_on_load salt_stbi_set_flip_vertically_on_load
#define stbi_set_flip_vertically_on_load_thread salt_stbi_set_flip_vertically_on_load_thread
#define stbi_set_unpremultiply_on_load salt_stbi_set_unpremultiply_on_load
#define stbi_set_unpremultiply_on_load_thread salt_stbi_set_unpremultiply_on_load_thread
#define stbi_write_bmp salt_stbi_write_bmp
#define stbi_write_bmp_to_func salt_stbi_write_bmp_to_func
#define stbi_write_force_png_filter salt_stbi_write_force_png_filter
#define stbi_write_hdr salt_stbi_write_hdr
#define stbi_write_hdr_to_func salt_stbi_write_hdr_to_func
#define stbi_write_jpg salt_stbi_write_jpg
#define stbi_write_jpg_to_func salt_stbi_write_jpg_to_func
#define stbi_write_png salt_stbi_write_png
#define stbi_write_png_compression_level salt_stbi_write_png_compression_level
#define stbi_write_png_to_func salt_stbi_write_png_to_func
#define stbi_write_png_to_mem salt_stbi_write_png_to_mem
#define stbi_write_tga salt_stbi_write_tga
#define stbi_write_tga_to_func salt_stbi_write_tga_to_func
#define stbi_write_tga_with_rle salt_stbi_write_tga_with_rle
#define stbi_zlib_compress salt_stbi_zlib_compress
#define stbi_zlib_decode_buffer salt_stbi_zlib_decode_buffer
#define stbi_zlib_decode_malloc salt_stbi_zlib_decode_malloc
#define stbi_zlib_decode_malloc_guesssize salt_stbi_zlib_decode_malloc_guesssize
#define stbi_zlib_decode_malloc_guesssize_headerflag salt_stbi_zlib_decode_malloc_guesssize_headerflag
#define stbi_zlib_decode_noheader_buffer salt_stbi_zlib_decode_noheader_buffer
#define stbi_zlib_decode_noheader_malloc salt_stbi_zlib_decode_noheader_malloc
#define stbiw_convert_wchar_to_utf8 salt_stbiw_convert_wchar_to_utf8

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif

namespace salt::io::detail::stb {
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
}  // namespace salt::io::detail::stb

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#undef INCLUDE_STB_IMAGE_WRITE_H
#undef STBIDEF
#undef STBIWDEF
#undef STBIW_ASSERT
#undef STBIW_CRC32
#undef STBIW_EXTERN
#undef STBIW_FREE
#undef STBIW_MALLOC
#undef STBIW_MEMMOVE
#undef STBIW_REALLOC
#undef STBIW_REALLOC_SIZED
#undef STBIW_UCHAR
#undef STBIW_WINDOWS_UTF8
#undef STBIW_ZLIB_COMPRESS
#undef STBI_ASSERT
#undef STBI_EXTERN
#undef STBI_FAILURE_USERMSG
#undef STBI_FREE
#undef STBI_HAS_LROTL
#undef STBI_INCLUDE_STB_IMAGE_H
#undef STBI_MALLOC
#undef STBI_MAX_DIMENSIONS
#undef STBI_MINGW_ENABLE_SSE2
#undef STBI_NEON
#undef STBI_NOTUSED
#undef STBI_NO_BMP
#undef STBI_NO_FAILURE_STRINGS
#undef STBI_NO_GIF
#undef STBI_NO_HDR
#undef STBI_NO_JPEG
#undef STBI_NO_LINEAR
#undef STBI_NO_PIC
#undef STBI_NO_PNG
#undef STBI_NO_PNM
#undef STBI_NO_PSD
#undef STBI_NO_SIMD
#undef STBI_NO_STDIO
#undef STBI_NO_TGA
#undef STBI_NO_THREAD_LOCALS
#undef STBI_NO_ZLIB
#undef STBI_ONLY_BMP
#undef STBI_ONLY_GIF
#undef STBI_ONLY_HDR
#undef STBI_ONLY_JPEG
#undef STBI_ONLY_PIC
#undef STBI_ONLY_PNG
#undef STBI_ONLY_PNM
#undef STBI_ONLY_PSD
#undef STBI_ONLY_TGA
#undef STBI_REALLOC
#undef STBI_REALLOC_SIZED
#undef STBI_SIMD_ALIGN
#undef STBI_SSE2
#undef STBI_SUPPORT_ZLIB
#undef STBI_THREAD_LOCAL
#undef STBI_VERSION
#undef STBI_WINDOWS_UTF8
#undef STBI_WRITE_NO_STDIO
#undef STBI__BYTECAST
#undef STBI__CASE
#undef STBI__COMBO
#undef STBI__HDR_BUFLEN
#undef STBI__IDCT_1D
#undef STBI__MARKER_none
#undef STBI__PNG_TYPE
#undef STBI__RESTART
#undef STBI__X64_TARGET
#undef STBI__X86_TARGET
#undef STBI__ZFAST_BITS
#undef STBI__ZFAST_MASK
#undef STBI__ZNSYMS
#undef STB_IMAGE_IMPLEMENTATION
#undef STB_IMAGE_STATIC
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef STB_IMAGE_WRITE_STATIC
#undef stbi__de_iphone_flag
#undef stbi__err
#undef stbi__errpf
#undef stbi__errpuc
#undef stbi__unpremultiply_on_load
#undef stbi__unpremultiply_on_load_thread
#undef stbi__vertically_flip_on_load
#undef stbi_convert_iphone_png_to_rgb
#undef stbi_convert_iphone_png_to_rgb_thread
#undef stbi_convert_wchar_to_utf8
#undef stbi_failure_reason
#undef stbi_flip_vertically_on_write
#undef stbi_hdr_to_ldr_gamma
#undef stbi_hdr_to_ldr_scale
#undef stbi_image_free
#undef stbi_info
#undef stbi_info_from_callbacks
#undef stbi_info_from_file
#undef stbi_info_from_memory
#undef stbi_inline
#undef stbi_is_16_bit
#undef stbi_is_16_bit_from_callbacks
#undef stbi_is_16_bit_from_file
#undef stbi_is_16_bit_from_memory
#undef stbi_is_hdr
#undef stbi_is_hdr_from_callbacks
#undef stbi_is_hdr_from_file
#undef stbi_is_hdr_from_memory
#undef stbi_ldr_to_hdr_gamma
#undef stbi_ldr_to_hdr_scale
#undef stbi_load
#undef stbi_load_16
#undef stbi_load_16_from_callbacks
#undef stbi_load_16_from_memory
#undef stbi_load_from_callbacks
#undef stbi_load_from_file
#undef stbi_load_from_file_16
#undef stbi_load_from_memory
#undef stbi_load_gif_from_memory
#undef stbi_loadf
#undef stbi_loadf_from_callbacks
#undef stbi_loadf_from_file
#undef stbi_loadf_from_memory
#undef stbi_lrot
#undef stbi_set_flip_vertically_on_load
#undef stbi_set_flip_vertically_on_load_thread
#undef stbi_set_unpremultiply_on_load
#undef stbi_set_unpremultiply_on_load_thread
#undef stbi_write_bmp
#undef stbi_write_bmp_to_func
#undef stbi_write_force_png_filter
#undef stbi_write_hdr
#undef stbi_write_hdr_to_func
#undef stbi_write_jpg
#undef stbi_write_jpg_to_func
#undef stbi_write_png
#undef stbi_write_png_compression_level
#undef stbi_write_png_to_func
#undef stbi_write_png_to_mem
#undef stbi_write_tga
#undef stbi_write_tga_to_func
#undef stbi_write_tga_with_rle
#undef stbi_zlib_compress
#undef stbi_zlib_decode_buffer
#undef stbi_zlib_decode_malloc
#undef stbi_zlib_decode_malloc_guesssize
#undef stbi_zlib_decode_malloc_guesssize_headerflag
#undef stbi_zlib_decode_noheader_buffer
#undef stbi_zlib_decode_noheader_malloc
#undef stbiw__ZHASH
#undef stbiw__max
#undef stbiw__sbcount
#undef stbiw__sbfree
#undef stbiw__sbgrow
#undef stbiw__sbm
#undef stbiw__sbmaybegrow
#undef stbiw__sbn
#undef stbiw__sbneedgrow
#undef stbiw__sbpush
#undef stbiw__sbraw
#undef stbiw__wp32
#undef stbiw__wpng4
#undef stbiw__wptag
#undef stbiw__zlib_add
#undef stbiw__zlib_flush
#undef stbiw__zlib_huff
#undef stbiw__zlib_huff1
#undef stbiw__zlib_huff2
#undef stbiw__zlib_huff3
#undef stbiw__zlib_huff4
#undef stbiw__zlib_huffa
#undef stbiw__zlib_huffb
#undef stbiw_convert_wchar_to_utf8
#pragma pop_macro("INCLUDE_STB_IMAGE_WRITE_H")
#pragma pop_macro("STBIDEF")
#pragma pop_macro("STBIWDEF")
#pragma pop_macro("STBIW_ASSERT")
#pragma pop_macro("STBIW_CRC32")
#pragma pop_macro("STBIW_EXTERN")
#pragma pop_macro("STBIW_FREE")
#pragma pop_macro("STBIW_MALLOC")
#pragma pop_macro("STBIW_MEMMOVE")
#pragma pop_macro("STBIW_REALLOC")
#pragma pop_macro("STBIW_REALLOC_SIZED")
#pragma pop_macro("STBIW_UCHAR")
#pragma pop_macro("STBIW_WINDOWS_UTF8")
#pragma pop_macro("STBIW_ZLIB_COMPRESS")
#pragma pop_macro("STBI_ASSERT")
#pragma pop_macro("STBI_EXTERN")
#pragma pop_macro("STBI_FAILURE_USERMSG")
#pragma pop_macro("STBI_FREE")
#pragma pop_macro("STBI_HAS_LROTL")
#pragma pop_macro("STBI_INCLUDE_STB_IMAGE_H")
#pragma pop_macro("STBI_MALLOC")
#pragma pop_macro("STBI_MAX_DIMENSIONS")
#pragma pop_macro("STBI_MINGW_ENABLE_SSE2")
#pragma pop_macro("STBI_NEON")
#pragma pop_macro("STBI_NOTUSED")
#pragma pop_macro("STBI_NO_BMP")
#pragma pop_macro("STBI_NO_FAILURE_STRINGS")
#pragma pop_macro("STBI_NO_GIF")
#pragma pop_macro("STBI_NO_HDR")
#pragma pop_macro("STBI_NO_JPEG")
#pragma pop_macro("STBI_NO_LINEAR")
#pragma pop_macro("STBI_NO_PIC")
#pragma pop_macro("STBI_NO_PNG")
#pragma pop_macro("STBI_NO_PNM")
#pragma pop_macro("STBI_NO_PSD")
#pragma pop_macro("STBI_NO_SIMD")
#pragma pop_macro("STBI_NO_STDIO")
#pragma pop_macro("STBI_NO_TGA")
#pragma pop_macro("STBI_NO_THREAD_LOCALS")
#pragma pop_macro("STBI_NO_ZLIB")
#pragma pop_macro("STBI_ONLY_BMP")
#pragma pop_macro("STBI_ONLY_GIF")
#pragma pop_macro("STBI_ONLY_HDR")
#pragma pop_macro("STBI_ONLY_JPEG")
#pragma pop_macro("STBI_ONLY_PIC")
#pragma pop_macro("STBI_ONLY_PNG")
#pragma pop_macro("STBI_ONLY_PNM")
#pragma pop_macro("STBI_ONLY_PSD")
#pragma pop_macro("STBI_ONLY_TGA")
#pragma pop_macro("STBI_REALLOC")
#pragma pop_macro("STBI_REALLOC_SIZED")
#pragma pop_macro("STBI_SIMD_ALIGN")
#pragma pop_macro("STBI_SSE2")
#pragma pop_macro("STBI_SUPPORT_ZLIB")
#pragma pop_macro("STBI_THREAD_LOCAL")
#pragma pop_macro("STBI_VERSION")
#pragma pop_macro("STBI_WINDOWS_UTF8")
#pragma pop_macro("STBI_WRITE_NO_STDIO")
#pragma pop_macro("STBI__BYTECAST")
#pragma pop_macro("STBI__CASE")
#pragma pop_macro("STBI__COMBO")
#pragma pop_macro("STBI__HDR_BUFLEN")
#pragma pop_macro("STBI__IDCT_1D")
#pragma pop_macro("STBI__MARKER_none")
#pragma pop_macro("STBI__PNG_TYPE")
#pragma pop_macro("STBI__RESTART")
#pragma pop_macro("STBI__X64_TARGET")
#pragma pop_macro("STBI__X86_TARGET")
#pragma pop_macro("STBI__ZFAST_BITS")
#pragma pop_macro("STBI__ZFAST_MASK")
#pragma pop_macro("STBI__ZNSYMS")
#pragma pop_macro("STB_IMAGE_IMPLEMENTATION")
#pragma pop_macro("STB_IMAGE_STATIC")
#pragma pop_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#pragma pop_macro("STB_IMAGE_WRITE_STATIC")
#pragma pop_macro("stbi__de_iphone_flag")
#pragma pop_macro("stbi__err")
#pragma pop_macro("stbi__errpf")
#pragma pop_macro("stbi__errpuc")
#pragma pop_macro("stbi__unpremultiply_on_load")
#pragma pop_macro("stbi__unpremultiply_on_load_thread")
#pragma pop_macro("stbi__vertically_flip_on_load")
#pragma pop_macro("stbi_convert_iphone_png_to_rgb")
#pragma pop_macro("stbi_convert_iphone_png_to_rgb_thread")
#pragma pop_macro("stbi_convert_wchar_to_utf8")
#pragma pop_macro("stbi_failure_reason")
#pragma pop_macro("stbi_flip_vertically_on_write")
#pragma pop_macro("stbi_hdr_to_ldr_gamma")
#pragma pop_macro("stbi_hdr_to_ldr_scale")
#pragma pop_macro("stbi_image_free")
#pragma pop_macro("stbi_info")
#pragma pop_macro("stbi_info_from_callbacks")
#pragma pop_macro("stbi_info_from_file")
#pragma pop_macro("stbi_info_from_memory")
#pragma pop_macro("stbi_inline")
#pragma pop_macro("stbi_is_16_bit")
#pragma pop_macro("stbi_is_16_bit_from_callbacks")
#pragma pop_macro("stbi_is_16_bit_from_file")
#pragma pop_macro("stbi_is_16_bit_from_memory")
#pragma pop_macro("stbi_is_hdr")
#pragma pop_macro("stbi_is_hdr_from_callbacks")
#pragma pop_macro("stbi_is_hdr_from_file")
#pragma pop_macro("stbi_is_hdr_from_memory")
#pragma pop_macro("stbi_ldr_to_hdr_gamma")
#pragma pop_macro("stbi_ldr_to_hdr_scale")
#pragma pop_macro("stbi_load")
#pragma pop_macro("stbi_load_16")
#pragma pop_macro("stbi_load_16_from_callbacks")
#pragma pop_macro("stbi_load_16_from_memory")
#pragma pop_macro("stbi_load_from_callbacks")
#pragma pop_macro("stbi_load_from_file")
#pragma pop_macro("stbi_load_from_file_16")
#pragma pop_macro("stbi_load_from_memory")
#pragma pop_macro("stbi_load_gif_from_memory")
#pragma pop_macro("stbi_loadf")
#pragma pop_macro("stbi_loadf_from_callbacks")
#pragma pop_macro("stbi_loadf_from_file")
#pragma pop_macro("stbi_loadf_from_memory")
#pragma pop_macro("stbi_lrot")
#pragma pop_macro("stbi_set_flip_vertically_on_load")
#pragma pop_macro("stbi_set_flip_vertically_on_load_thread")
#pragma pop_macro("stbi_set_unpremultiply_on_load")
#pragma pop_macro("stbi_set_unpremultiply_on_load_thread")
#pragma pop_macro("stbi_write_bmp")
#pragma pop_macro("stbi_write_bmp_to_func")
#pragma pop_macro("stbi_write_force_png_filter")
#pragma pop_macro("stbi_write_hdr")
#pragma pop_macro("stbi_write_hdr_to_func")
#pragma pop_macro("stbi_write_jpg")
#pragma pop_macro("stbi_write_jpg_to_func")
#pragma pop_macro("stbi_write_png")
#pragma pop_macro("stbi_write_png_compression_level")
#pragma pop_macro("stbi_write_png_to_func")
#pragma pop_macro("stbi_write_png_to_mem")
#pragma pop_macro("stbi_write_tga")
#pragma pop_macro("stbi_write_tga_to_func")
#pragma pop_macro("stbi_write_tga_with_rle")
#pragma pop_macro("stbi_zlib_compress")
#pragma pop_macro("stbi_zlib_decode_buffer")
#pragma pop_macro("stbi_zlib_decode_malloc")
#pragma pop_macro("stbi_zlib_decode_malloc_guesssize")
#pragma pop_macro("stbi_zlib_decode_malloc_guesssize_headerflag")
#pragma pop_macro("stbi_zlib_decode_noheader_buffer")
#pragma pop_macro("stbi_zlib_decode_noheader_malloc")
#pragma pop_macro("stbiw__ZHASH")
#pragma pop_macro("stbiw__max")
#pragma pop_macro("stbiw__sbcount")
#pragma pop_macro("stbiw__sbfree")
#pragma pop_macro("stbiw__sbgrow")
#pragma pop_macro("stbiw__sbm")
#pragma pop_macro("stbiw__sbmaybegrow")
#pragma pop_macro("stbiw__sbn")
#pragma pop_macro("stbiw__sbneedgrow")
#pragma pop_macro("stbiw__sbpush")
#pragma pop_macro("stbiw__sbraw")
#pragma pop_macro("stbiw__wp32")
#pragma pop_macro("stbiw__wpng4")
#pragma pop_macro("stbiw__wptag")
#pragma pop_macro("stbiw__zlib_add")
#pragma pop_macro("stbiw__zlib_flush")
#pragma pop_macro("stbiw__zlib_huff")
#pragma pop_macro("stbiw__zlib_huff1")
#pragma pop_macro("stbiw__zlib_huff2")
#pragma pop_macro("stbiw__zlib_huff3")
#pragma pop_macro("stbiw__zlib_huff4")
#pragma pop_macro("stbiw__zlib_huffa")
#pragma pop_macro("stbiw__zlib_huffb")
#pragma pop_macro("stbiw_convert_wchar_to_utf8")
