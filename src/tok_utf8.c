/* tok_utf8.c — byte-level text helpers shared by the whole tokenizer
 * (helper layer, see tok_helpers.h): llama.cpp's UTF-8 decoder and encoder,
 * the GPT-2 byte <-> char map, the "<0xXX>" byte-token spelling and the
 * SentencePiece space escape (' ' -> U+2581).
 *
 * The decoder copies llama.cpp's leniency on purpose (no overlong or
 * surrogate rejection, U+FFFD for a bad lead byte) so that invalid input
 * gives the same tokens; tokenizer_pre.c's stricter check is PCRE2's.
 */
#include "tok_helpers.h"

#include <string.h>

/* ---- UTF-8 ---- */

size_t tok_utf8_len(uint8_t lead)
{
    static const uint8_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lookup[lead >> 4];
}

uint32_t tok_utf8_next(const char *str, size_t n, size_t *i)
{
    const uint8_t *s = (const uint8_t *)str + *i;
    size_t left = n - *i;
    uint8_t c = s[0];
    if (c < 0x80) {
        *i += 1;
        return c;
    }
    /* lengths and continuation checks exactly as llama.cpp; no overlong or
     * surrogate rejection (it accepts those) */
    if ((c & 0x40) && !(c & 0x20)) {
        if (left >= 2 && (s[1] & 0xC0) == 0x80) {
            *i += 2;
            return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
        }
    } else if ((c & 0x40) && !(c & 0x10)) {
        if (left >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
            *i += 3;
            return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        }
    } else if ((c & 0x40) && !(c & 0x08)) {
        if (left >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
            (s[3] & 0xC0) == 0x80) {
            *i += 4;
            return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
                   ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        }
    }
    *i += 1;
    return 0xFFFD;
}

int tok_utf8_put(uint32_t cp, char *out)
{
    uint8_t *o = (uint8_t *)out;
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF) /* llama.cpp throws here; hone substitutes U+FFFD */
        return tok_utf8_put(0xFFFD, out);
    o[0] = (uint8_t)(0xF0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- GPT-2 byte encoding ---- */

static bool byte_is_printable(int b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

/* The non-printable bytes map to 256, 257... in byte order: 0x00-0x20,
 * 0x7F-0xA0, then 0xAD (68 in all). */
static uint32_t byte_to_cp(uint8_t b)
{
    if (byte_is_printable(b))
        return b;
    if (b <= 0x20)
        return 256u + b;
    if (b >= 0x7F && b <= 0xA0)
        return 256u + 33 + (b - 0x7Fu);
    return 256u + 67; /* 0xAD */
}

int tok_byte_to_utf8(uint8_t b, char out[4])
{
    return tok_utf8_put(byte_to_cp(b), out);
}

int tok_utf8_to_byte(uint32_t cp)
{
    if (cp < 256)
        return byte_is_printable((int)cp) ? (int)cp : -1;
    if (cp >= 256 + 68)
        return -1;
    uint32_t k = cp - 256;
    if (k < 33)
        return (int)k;
    if (k < 67)
        return (int)(0x7F + (k - 33));
    return 0xAD;
}

/* ---- byte tokens and spaces ---- */

void tok_byte_token_text(uint8_t b, char out[6])
{
    static const char hex[] = "0123456789ABCDEF";
    out[0] = '<';
    out[1] = '0';
    out[2] = 'x';
    out[3] = hex[b >> 4];
    out[4] = hex[b & 15];
    out[5] = '>';
}

size_t tok_count_spaces(const char *text, size_t len)
{
    size_t spaces = 0;
    for (size_t i = 0; i < len; i++)
        spaces += text[i] == ' ';
    return spaces;
}

size_t tok_escape_spaces(const char *text, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(out + o, "\xE2\x96\x81", 3);
            o += 3;
        } else {
            out[o++] = text[i];
        }
    }
    return o;
}
