/* The dataset scanner's C fast path (ops/datasets/scan.py): what costs most per line in Python.
 *
 * 1. Duplicate keys of JSONL lines: two 64-bit hashes per line, in one pass over the bytes.
 *
 *   exact key       the line without trailing ASCII whitespace (as bytes.rstrip()), so a CRLF
 *                   copy of a line is still the same example;
 *   normalized key  the line with ASCII letters lower-cased, ASCII whitespace bytes removed
 *                   (between JSON tokens and inside texts) and the JSON escapes \n, \t and \r
 *                   removed, so copies that differ only in case, spacing or line breaks match.
 *
 * Why C: this was most of the validator's per-line work. In Python it took a bytes.translate pass
 * over each block, a second split into lines and two siphash calls: about half the CPU time of a
 * 1 GB scan (benchmarks/validate_throughput.py). Here it is one loop over each line and a hash that
 * reads 16 bytes a step.
 *
 * The hash is wyhash final 4 by Wang Yi (public domain, github.com/wangyi-fudan/wyhash) with its
 * default secret and seed 0: fast, and passes SMHasher. A false match between two different lines
 * has probability about 2^-64 per pair. It is deterministic, so keys computed in different
 * processes (the validator's forked workers) compare equal.
 *
 * 2. The text counts of Gemini turns (ops/datasets/formats.py, fast_gemini_supervised): walking the
 * decoded turns and parts in Python cost ~1.5 us a line, as much as decoding the line.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* --- wyhash final 4 -------------------------------------------------------------------------- */

static const uint64_t WYP[4] = {0x2d358dccaa6c78a5ull, 0x8bb84b93962eacc9ull, 0x4b33a62ed433d4a3ull,
                                0x4d5a2da51de1aa47ull};

static inline void wymum(uint64_t *a, uint64_t *b) {
#if defined(__SIZEOF_INT128__)
    __uint128_t r = (__uint128_t)*a * *b;
    *a = (uint64_t)r;
    *b = (uint64_t)(r >> 64);
#else /* portable 64x64 -> 128 multiply */
    uint64_t ha = *a >> 32, hb = *b >> 32, la = (uint32_t)*a, lb = (uint32_t)*b;
    uint64_t rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb, t = rl + (rm0 << 32);
    uint64_t carry = t < rl, lo = t + (rm1 << 32);
    carry += lo < t;
    *a = lo;
    *b = rh + (rm0 >> 32) + (rm1 >> 32) + carry;
#endif
}

static inline uint64_t wymix(uint64_t a, uint64_t b) {
    wymum(&a, &b);
    return a ^ b;
}

static inline uint64_t wyr8(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t wyr4(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t wyr3(const uint8_t *p, size_t k) {
    return (((uint64_t)p[0]) << 16) | (((uint64_t)p[k >> 1]) << 8) | p[k - 1];
}

static uint64_t wyhash(const uint8_t *p, size_t len) {
    uint64_t seed = wymix(WYP[0], WYP[1]); /* seed 0 */
    uint64_t a, b;
    if (len <= 16) {
        if (len >= 4) {
            a = (wyr4(p) << 32) | wyr4(p + ((len >> 3) << 2));
            b = (wyr4(p + len - 4) << 32) | wyr4(p + len - 4 - ((len >> 3) << 2));
        } else if (len > 0) {
            a = wyr3(p, len);
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = len;
        if (i > 48) {
            uint64_t see1 = seed, see2 = seed;
            do {
                seed = wymix(wyr8(p) ^ WYP[1], wyr8(p + 8) ^ seed);
                see1 = wymix(wyr8(p + 16) ^ WYP[2], wyr8(p + 24) ^ see1);
                see2 = wymix(wyr8(p + 32) ^ WYP[3], wyr8(p + 40) ^ see2);
                p += 48;
                i -= 48;
            } while (i > 48);
            seed ^= see1 ^ see2;
        }
        while (i > 16) {
            seed = wymix(wyr8(p) ^ WYP[1], wyr8(p + 8) ^ seed);
            i -= 16;
            p += 16;
        }
        a = wyr8(p + i - 16);
        b = wyr8(p + i - 8);
    }
    a ^= WYP[1];
    b ^= seed;
    wymum(&a, &b);
    return wymix(a ^ WYP[0] ^ len, b ^ WYP[1]);
}

/* --- the normalised form -------------------------------------------------------------------- */

static uint8_t LOWER[256]; /* ASCII upper case to lower case, every other byte to itself */
static uint8_t KEEP[256];  /* 0 for the bytes the normalised form drops or handles apart */
static uint8_t SPACE[256]; /* bytes.rstrip()'s whitespace: space, \t, \n, \r, \v, \f */

/* One input byte (two for an escape) at *i into out[k]; returns the new k. `out` needs room for
 * k + 2 bytes. This is the definition of the normalised form; the SIMD path must agree with it. */
static inline size_t step(const uint8_t *p, size_t len, size_t *i, uint8_t *out, size_t k) {
    size_t at = *i;
    uint8_t c = p[at];
    /* Written unconditionally and kept by advancing k: no branch on the frequent spaces. */
    out[k] = LOWER[c];
    k += KEEP[c];
    if (c == '\\') {
        uint8_t d = at + 1 < len ? p[at + 1] : 0;
        if (d == 'n' || d == 't' || d == 'r') {
            at++; /* an escaped line break or tab is whitespace in the text */
        } else {
            out[k++] = '\\';
            if (d == '\\') { /* an escaped backslash: its second half starts no escape */
                out[k++] = '\\';
                at++;
            }
        }
    }
    *i = at + 1;
    return k;
}

static size_t normalize_scalar(const uint8_t *p, size_t len, uint8_t *out) {
    size_t i = 0, k = 0;
    while (i < len)
        k = step(p, len, &i, out, k);
    return k;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SSSE3 1
#include <immintrin.h>

/* PACK[m]: the indices of the set bits of m, packed to the left (a pshufb mask for 8 bytes). */
static uint8_t PACK[256][8];
static uint8_t PACKED[256]; /* the number of set bits of m */

/* 16 bytes a step: lower-case with compares, drop whitespace with two 8-byte pshufb left-packs.
 * A block holding a backslash goes through `step` (escapes need a look at the next byte). */
__attribute__((target("ssse3"))) static size_t normalize_ssse3(const uint8_t *p, size_t len,
                                                               uint8_t *out) {
    const __m128i flip = _mm_set1_epi8((char)0x80);
    const __m128i before_a = _mm_set1_epi8((char)(('A' - 1) ^ 0x80));
    const __m128i after_z = _mm_set1_epi8((char)(('Z' + 1) ^ 0x80));
    const __m128i before_tab = _mm_set1_epi8((char)(('\t' - 1) ^ 0x80));
    const __m128i after_cr = _mm_set1_epi8((char)(('\r' + 1) ^ 0x80));
    const __m128i space = _mm_set1_epi8(' '), backslash = _mm_set1_epi8('\\');
    const __m128i case_bit = _mm_set1_epi8(0x20), eight = _mm_set1_epi8(8);
    size_t i = 0, k = 0;
    while (i + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash))) {
            size_t stop = i + 16;
            while (i < stop)
                k = step(p, len, &i, out, k);
            continue;
        }
        __m128i s = _mm_xor_si128(v, flip); /* unsigned order as signed, for the range tests */
        __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(s, before_a), _mm_cmplt_epi8(s, after_z));
        __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, space),
                                  _mm_and_si128(_mm_cmpgt_epi8(s, before_tab), _mm_cmplt_epi8(s, after_cr)));
        __m128i lower = _mm_or_si128(v, _mm_and_si128(upper, case_bit));
        unsigned keep = ~(unsigned)_mm_movemask_epi8(ws) & 0xFFFFu;
        unsigned lo = keep & 0xFFu, hi = keep >> 8;
        __m128i pack_lo = _mm_loadl_epi64((const __m128i *)PACK[lo]);
        __m128i pack_hi = _mm_add_epi8(_mm_loadl_epi64((const __m128i *)PACK[hi]), eight);
        _mm_storel_epi64((__m128i *)(out + k), _mm_shuffle_epi8(lower, pack_lo));
        k += PACKED[lo];
        _mm_storel_epi64((__m128i *)(out + k), _mm_shuffle_epi8(lower, pack_hi));
        k += PACKED[hi];
        i += 16;
    }
    while (i < len)
        k = step(p, len, &i, out, k);
    return k;
}
#endif

static int use_simd = 0;

/* The normalised form of p[0:len] into out (room for len + 16 bytes); returns its length. */
static size_t normalize(const uint8_t *p, size_t len, uint8_t *out) {
#ifdef HAVE_SSSE3
    if (use_simd)
        return normalize_ssse3(p, len, out);
#endif
    return normalize_scalar(p, len, out);
}

static void init_tables(void) {
    for (int c = 0; c < 256; c++) {
        LOWER[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
        KEEP[c] = 1;
    }
    for (const char *s = " \t\n\r\v\f"; *s; s++) {
        SPACE[(uint8_t)*s] = 1;
        KEEP[(uint8_t)*s] = 0;
    }
    KEEP['\\'] = 0;
#ifdef HAVE_SSSE3
    for (int m = 0; m < 256; m++) {
        int n = 0;
        for (int bit = 0; bit < 8; bit++)
            if (m & (1 << bit))
                PACK[m][n++] = (uint8_t)bit;
        PACKED[m] = (uint8_t)n;
        while (n < 8)
            PACK[m][n++] = 0x80; /* pshufb writes a zero; never counted */
    }
    __builtin_cpu_init();
    use_simd = __builtin_cpu_supports("ssse3");
#endif
}

/* --- braced lines ----------------------------------------------------------------------------- */

/* Whether a line's first and last bytes, whitespace aside, are '{' and '}'. (Why that is worth
 * knowing: ops/datasets/scan.py, Scanner._decoded.) */
static int braced(const uint8_t *p, size_t len) {
    size_t i = 0, end = len;
    while (i < end && SPACE[p[i]])
        i++;
    while (end > i && SPACE[p[end - 1]])
        end--;
    return i < end && p[i] == '{' && p[end - 1] == '}';
}

/* --- the keys of one line -------------------------------------------------------------------- */

/* `scratch` holds at least len + 16 bytes. */
static void line_keys_into(const uint8_t *p, size_t len, uint8_t *scratch, int64_t *exact,
                           int64_t *normalized) {
    size_t end = len;
    while (end > 0 && SPACE[p[end - 1]])
        end--;
    uint64_t e = wyhash(p, end), n = wyhash(scratch, normalize(p, len, scratch));
    memcpy(exact, &e, sizeof e);
    memcpy(normalized, &n, sizeof n);
}

/* --- the module ------------------------------------------------------------------------------ */

static PyObject *line_keys(PyObject *module, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    uint8_t *scratch = PyMem_Malloc((size_t)view.len + 16);
    if (scratch == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    int64_t exact, normalized;
    line_keys_into(view.buf, (size_t)view.len, scratch, &exact, &normalized);
    PyMem_Free(scratch);
    PyBuffer_Release(&view);
    return Py_BuildValue("(LL)", (long long)exact, (long long)normalized);
}

static PyObject *block_keys(PyObject *module, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const uint8_t *p = view.buf, *stop = p + view.len;
    Py_ssize_t lines = 0;
    for (const uint8_t *q = p; q < stop; lines++) {
        const uint8_t *nl = memchr(q, '\n', (size_t)(stop - q));
        q = nl == NULL ? stop : nl + 1;
    }
    PyObject *exact = PyBytes_FromStringAndSize(NULL, lines * 8);
    PyObject *normalized = PyBytes_FromStringAndSize(NULL, lines * 8);
    uint8_t *scratch = PyMem_Malloc((size_t)view.len + 16);
    if (exact == NULL || normalized == NULL || scratch == NULL) {
        Py_XDECREF(exact);
        Py_XDECREF(normalized);
        PyMem_Free(scratch);
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    int all_braced = lines > 0;
    int64_t *out_exact = (int64_t *)PyBytes_AS_STRING(exact);
    int64_t *out_normalized = (int64_t *)PyBytes_AS_STRING(normalized);
    for (Py_ssize_t i = 0; i < lines; i++) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(stop - p));
        const uint8_t *end = nl == NULL ? stop : nl;
        line_keys_into(p, (size_t)(end - p), scratch, &out_exact[i], &out_normalized[i]);
        all_braced = all_braced && braced(p, (size_t)(end - p));
        p = end + 1;
    }
    PyMem_Free(scratch);
    PyBuffer_Release(&view);
    return Py_BuildValue("(NNO)", exact, normalized, all_braced ? Py_True : Py_False);
}

static PyObject *set_simd(PyObject *module, PyObject *arg) {
    int wanted = PyObject_IsTrue(arg);
    if (wanted < 0)
        return NULL;
    int before = use_simd;
#ifdef HAVE_SSSE3
    use_simd = wanted && __builtin_cpu_supports("ssse3");
#endif
    return PyBool_FromLong(before);
}

/* --- Gemini turns ---------------------------------------------------------------------------- */

static PyObject *ATTR_TEXT, *ATTR_PARTS, *ATTR_ROLE; /* interned attribute names */

/* Whether a str is whitespace only, as str.isspace() says (so never the empty string). */
static int is_blank(PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++)
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)))
            return 0;
    return n > 0;
}

/* The characters of the texts of a list of parts; -1 when one is blank, -2 with an exception set. */
static Py_ssize_t parts_chars(PyObject *parts) {
    if (!PyList_Check(parts)) {
        PyErr_SetString(PyExc_TypeError, "parts must be a list");
        return -2;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(parts); i++) {
        PyObject *text = PyObject_GetAttr(PyList_GET_ITEM(parts, i), ATTR_TEXT);
        if (text == NULL)
            return -2;
        if (!PyUnicode_Check(text)) {
            Py_DECREF(text);
            PyErr_SetString(PyExc_TypeError, "a part's text must be a str");
            return -2;
        }
        int blank = is_blank(text);
        total += PyUnicode_GET_LENGTH(text);
        Py_DECREF(text);
        if (blank)
            return -1;
    }
    return total;
}

static PyObject *text_chars(PyObject *module, PyObject *parts) {
    Py_ssize_t chars = parts_chars(parts);
    return chars == -2 ? NULL : PyLong_FromSsize_t(chars);
}

static PyObject *turns_chars(PyObject *module, PyObject *turns) {
    if (!PyList_Check(turns)) {
        PyErr_SetString(PyExc_TypeError, "turns must be a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(turns), total = 0;
    int alternating = n % 2 == 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *turn = PyList_GET_ITEM(turns, i);
        PyObject *role = PyObject_GetAttr(turn, ATTR_ROLE);
        if (role == NULL)
            return NULL;
        if (alternating)
            alternating = PyUnicode_Check(role) &&
                          PyUnicode_CompareWithASCIIString(role, i % 2 ? "model" : "user") == 0;
        Py_DECREF(role);
        PyObject *parts = PyObject_GetAttr(turn, ATTR_PARTS);
        if (parts == NULL)
            return NULL;
        Py_ssize_t chars = parts_chars(parts);
        Py_DECREF(parts);
        if (chars == -2)
            return NULL;
        if (chars == -1) {
            total = -1;
            break;
        }
        total += chars;
    }
    return Py_BuildValue("(nO)", total, alternating ? Py_True : Py_False);
}

/* --- the whole Gemini supervised example ------------------------------------------------------ */

/* gemini_walk: the per-example work of the scanner for a chunk of Gemini supervised examples,
 * decoded by msgspec into the scanner's wide Structs (ops/datasets/formats.py, GeminiSupervisedAny:
 * both spellings of every field, fileData, functionCall and functionResponse parts, tools). An
 * example is taken here only when the general reader (ops/datasets/gemini.py) would find no problem
 * in it; anything else (a problem, a field in both spellings, roles that do not alternate, media
 * the table does not know, a URI that is not gs://BUCKET/OBJECT) is left to the reader, which names
 * the problem. Why C: walking every turn and part in Python cost more per example than decoding it
 * (issue #16: 60-65% of the scan on realistic files). */

enum { WALK_OK = 0, WALK_OVER_LIMIT = 1, WALK_SLOW = 2 };
enum { CAMEL_BIT = 1, SNAKE_BIT = 2, MAX_MODALITIES = 8, MAX_CALLS = 32 };

static PyObject *A_SYSTEM, *A_SYSTEM_SNAKE, *A_CONTENTS, *A_TOOLS, *A_DECL, *A_DECL_SNAKE;
static PyObject *A_FILE, *A_FILE_SNAKE, *A_CALL, *A_CALL_SNAKE, *A_RESPONSE, *A_RESPONSE_SNAKE;
static PyObject *A_MIME, *A_MIME_SNAKE, *A_URI, *A_URI_SNAKE, *A_DISPLAY, *A_DISPLAY_SNAKE, *A_NAME;
static PyObject *S_NAME; /* the "name" key of a function declaration */

typedef struct {
    PyObject *unset;  /* msgspec.UNSET */
    PyObject *encode; /* msgspec.json.encode */
    PyObject *mimes;  /* dict: MIME type -> modality index */
    Py_ssize_t modalities;
    long long per_item[MAX_MODALITIES]; /* tokens per part; -1: unknown offline */
    long long max_per[MAX_MODALITIES];  /* parts per example; -1: no limit */
    long long per;                      /* characters per token */
    long long limit;                    /* tokens per example */
    int collect_media;
} WalkSpec;

typedef struct { /* what one example adds to the range's totals */
    int spelling;
    long long media_tokens, media_unknown;
    long long by_modality[MAX_MODALITIES];
} WalkTotals;

/* One of two spellings of a field: 0 when neither is set, 1 with *out set (a new reference), -1
 * when both are set (the reader reports a duplicate field), -2 on an exception. */
static int either(PyObject *obj, PyObject *camel, PyObject *snake, const WalkSpec *spec, int *spelling,
                  PyObject **out) {
    PyObject *a = PyObject_GetAttr(obj, camel);
    if (a == NULL)
        return -2;
    PyObject *b = PyObject_GetAttr(obj, snake);
    if (b == NULL) {
        Py_DECREF(a);
        return -2;
    }
    int has_a = a != spec->unset, has_b = b != spec->unset;
    if (has_a && has_b) {
        Py_DECREF(a);
        Py_DECREF(b);
        return -1;
    }
    if (!has_a && !has_b) {
        Py_DECREF(a);
        Py_DECREF(b);
        return 0;
    }
    *spelling |= has_a ? CAMEL_BIT : SNAKE_BIT;
    *out = has_a ? a : b;
    Py_DECREF(has_a ? b : a);
    return 1;
}

/* The characters of msgspec.json.encode(value) as a str (the reader counts json_repr(value));
 * -2 on an exception. */
static Py_ssize_t encoded_chars(PyObject *value, const WalkSpec *spec) {
    PyObject *encoded = PyObject_CallOneArg(spec->encode, value);
    if (encoded == NULL)
        return -2;
    if (!PyBytes_Check(encoded)) {
        Py_DECREF(encoded);
        PyErr_SetString(PyExc_TypeError, "encode must return bytes");
        return -2;
    }
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(encoded);
    Py_ssize_t n = PyBytes_GET_SIZE(encoded), chars = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        chars += (p[i] & 0xC0) != 0x80; /* UTF-8: every byte but a continuation byte starts a character */
    Py_DECREF(encoded);
    return chars;
}

/* Whether a str is gs://BUCKET/OBJECT, as gemini.py's check_uri accepts without a finding. */
static int gcs_object(PyObject *uri) {
    Py_ssize_t size;
    const char *s = PyUnicode_AsUTF8AndSize(uri, &size);
    if (s == NULL) {
        PyErr_Clear();
        return 0;
    }
    return size > 5 && memcmp(s, "gs://", 5) == 0 && memchr(s + 5, '/', (size_t)(size - 5)) != NULL &&
           s[size - 1] != '/';
}

/* A fileData part; returns WALK_OK, WALK_SLOW or -2 (exception). */
static int walk_file(PyObject *file, const WalkSpec *spec, int *spelling, long long *counts,
                     long long *tokens, long long *unknown) {
    PyObject *mime = NULL, *uri = NULL, *display = NULL;
    int status = WALK_SLOW, got;
    if ((got = either(file, A_MIME, A_MIME_SNAKE, spec, spelling, &mime)) != 1)
        return got == -2 ? -2 : WALK_SLOW;
    if ((got = either(file, A_URI, A_URI_SNAKE, spec, spelling, &uri)) != 1) {
        status = got == -2 ? -2 : WALK_SLOW;
        goto done;
    }
    if ((got = either(file, A_DISPLAY, A_DISPLAY_SNAKE, spec, spelling, &display)) < 0) {
        status = got == -2 ? -2 : WALK_SLOW;
        goto done;
    }
    if (spec->collect_media || !gcs_object(uri))
        goto done;
    PyObject *index = PyDict_GetItemWithError(spec->mimes, mime); /* borrowed */
    if (index == NULL) {
        status = PyErr_Occurred() ? -2 : WALK_SLOW;
        goto done;
    }
    Py_ssize_t m = PyLong_AsSsize_t(index);
    if (m < 0 || m >= spec->modalities) {
        status = PyErr_Occurred() ? -2 : WALK_SLOW;
        goto done;
    }
    counts[m]++;
    if (spec->per_item[m] >= 0)
        *tokens += spec->per_item[m];
    else
        (*unknown)++;
    status = WALK_OK;
done:
    Py_XDECREF(mime);
    Py_XDECREF(uri);
    Py_XDECREF(display);
    return status;
}

/* Whether `name` (a str) is one of names[0:n]. */
static int named(PyObject *name, PyObject **names, int n) {
    for (int i = 0; i < n; i++)
        if (PyUnicode_Compare(name, names[i]) == 0)
            return 1;
    return 0;
}

/* One example: WALK_OK / WALK_OVER_LIMIT with its token counts (and *output, a new reference, when
 * asked), WALK_SLOW, or -2 with an exception set. */
static int walk_example(PyObject *ex, const WalkSpec *spec, int want_output, WalkTotals *totals,
                        long long *tokens_in, long long *tokens_out, PyObject **output) {
    int status = WALK_SLOW, got, spelling = 0, ndeclared = 0, ncalls = 0, nprevious = 0;
    long long chars_in = 0, chars_out = 0, media_tokens = 0, media_unknown = 0;
    long long counts[MAX_MODALITIES] = {0};
    PyObject *system = NULL, *tools = NULL, *contents = NULL;
    PyObject *declared[MAX_CALLS], *calls[MAX_CALLS], *previous[MAX_CALLS]; /* borrowed from `tools`, `contents` */
    if (ex == Py_None)
        return WALK_SLOW;
    /* The system instruction (text parts only: its Struct has no other part). */
    if ((got = either(ex, A_SYSTEM, A_SYSTEM_SNAKE, spec, &spelling, &system)) < 0)
        return got == -2 ? -2 : WALK_SLOW;
    if (got == 1 && system != Py_None) {
        PyObject *parts = PyObject_GetAttr(system, ATTR_PARTS);
        if (parts == NULL)
            goto error;
        Py_ssize_t chars = parts_chars(parts);
        Py_DECREF(parts);
        if (chars == -2)
            goto error;
        if (chars == -1)
            goto done;
        chars_in += chars;
    }
    /* Tools: the declarations are prompt text (their JSON); their names are what calls may call. */
    tools = PyObject_GetAttr(ex, A_TOOLS);
    if (tools == NULL)
        goto error;
    int have_tools = tools != Py_None;
    if (have_tools) {
        if (!PyList_Check(tools))
            goto done;
        for (Py_ssize_t t = 0; t < PyList_GET_SIZE(tools); t++) {
            PyObject *decls = NULL;
            if ((got = either(PyList_GET_ITEM(tools, t), A_DECL, A_DECL_SNAKE, spec, &spelling, &decls)) != 1) {
                if (got == -2)
                    goto error;
                goto done;
            }
            /* `decls` is kept alive by the Struct in `tools`: drop our reference now. */
            Py_DECREF(decls);
            if (!PyList_Check(decls) || PyList_GET_SIZE(decls) == 0)
                goto done;
            for (Py_ssize_t d = 0; d < PyList_GET_SIZE(decls); d++) {
                PyObject *decl = PyList_GET_ITEM(decls, d);
                if (!PyDict_Check(decl) || ndeclared == MAX_CALLS)
                    goto done;
                PyObject *name = PyDict_GetItemWithError(decl, S_NAME);
                if (name == NULL) {
                    if (PyErr_Occurred())
                        goto error;
                    goto done;
                }
                if (!PyUnicode_Check(name) || PyUnicode_GET_LENGTH(name) == 0)
                    goto done;
                declared[ndeclared++] = name;
                Py_ssize_t chars = encoded_chars(decl, spec);
                if (chars == -2)
                    goto error;
                chars_in += chars;
            }
        }
    }
    /* The turns: user, model, ... ending with model; every part holds exactly one kind of data. */
    contents = PyObject_GetAttr(ex, A_CONTENTS);
    if (contents == NULL)
        goto error;
    if (!PyList_Check(contents))
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(contents);
    if (n == 0 || n % 2)
        goto done;
    PyObject *last_texts = NULL; /* the last turn's text parts, for the output */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *turn = PyList_GET_ITEM(contents, i);
        PyObject *role = PyObject_GetAttr(turn, ATTR_ROLE);
        if (role == NULL)
            goto error;
        int model = PyUnicode_Check(role) && PyUnicode_CompareWithASCIIString(role, "model") == 0;
        int user = !model && PyUnicode_Check(role) && PyUnicode_CompareWithASCIIString(role, "user") == 0;
        Py_DECREF(role);
        if (i % 2 ? !model : !user)
            goto done;
        PyObject *parts = PyObject_GetAttr(turn, ATTR_PARTS);
        if (parts == NULL)
            goto error;
        Py_DECREF(parts); /* kept alive by the turn */
        if (!PyList_Check(parts) || PyList_GET_SIZE(parts) == 0)
            goto done;
        long long turn_chars = 0;
        int only_text = 1;
        ncalls = 0;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(parts); j++) {
            PyObject *part = PyList_GET_ITEM(parts, j);
            PyObject *text = PyObject_GetAttr(part, ATTR_TEXT), *file = NULL, *call = NULL, *response = NULL;
            if (text == NULL)
                goto error;
            int kinds = text != spec->unset;
            int g1 = either(part, A_FILE, A_FILE_SNAKE, spec, &spelling, &file);
            int g2 = g1 < 0 ? 0 : either(part, A_CALL, A_CALL_SNAKE, spec, &spelling, &call);
            int g3 = g1 < 0 || g2 < 0 ? 0 : either(part, A_RESPONSE, A_RESPONSE_SNAKE, spec, &spelling, &response);
            /* Every value stays alive through the part; keep borrowed pointers only. */
            Py_DECREF(text);
            Py_XDECREF(file);
            Py_XDECREF(call);
            Py_XDECREF(response);
            if (g1 == -2 || g2 == -2 || g3 == -2)
                goto error;
            if (g1 < 0 || g2 < 0 || g3 < 0 || kinds + g1 + g2 + g3 != 1)
                goto done;
            if (kinds) {
                if (!PyUnicode_Check(text) || PyUnicode_GET_LENGTH(text) == 0 || is_blank(text))
                    goto done;
                turn_chars += PyUnicode_GET_LENGTH(text);
            } else if (g1) {
                got = walk_file(file, spec, &spelling, counts, &media_tokens, &media_unknown);
                if (got == -2)
                    goto error;
                if (got != WALK_OK)
                    goto done;
            } else {
                PyObject *value = g2 ? call : response;
                PyObject *name = PyObject_GetAttr(value, A_NAME);
                if (name == NULL)
                    goto error;
                Py_DECREF(name); /* kept alive by the part */
                if (!PyUnicode_Check(name) || PyUnicode_GET_LENGTH(name) == 0)
                    goto done;
                if (g2) { /* a call: the model's, to a declared function when tools are given */
                    if (!model || ncalls == MAX_CALLS || (have_tools && !named(name, declared, ndeclared)))
                        goto done;
                    calls[ncalls++] = name;
                } else if (model || !named(name, previous, nprevious)) {
                    goto done; /* a response answers a call of the turn before, in a user turn */
                }
                Py_ssize_t chars = encoded_chars(value, spec);
                if (chars == -2)
                    goto error;
                turn_chars += chars;
                only_text = 0;
            }
        }
        memcpy(previous, calls, sizeof(PyObject *) * (size_t)ncalls);
        nprevious = ncalls;
        if (i == n - 1) {
            chars_out = turn_chars;
            if (want_output && !only_text)
                goto done; /* the reader's output holds the calls' JSON: let it say */
            last_texts = parts;
        } else {
            chars_in += turn_chars;
        }
    }
    for (Py_ssize_t m = 0; m < spec->modalities; m++)
        if (spec->max_per[m] >= 0 && counts[m] > spec->max_per[m])
            goto done; /* too much media: the reader names the limit */
    long long per = spec->per;
    *tokens_in = (chars_in + per - 1) / per + media_tokens;
    *tokens_out = (chars_out + per - 1) / per;
    if (*tokens_in > 0xFFFFFFFFll || *tokens_out > 0xFFFFFFFFll)
        goto done;
    if (want_output) {
        /* "".join of the last turn's texts (file parts add none) */
        PyObject *texts = PyList_New(0);
        if (texts == NULL)
            goto error;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(last_texts); j++) {
            PyObject *text = PyObject_GetAttr(PyList_GET_ITEM(last_texts, j), ATTR_TEXT);
            if (text == NULL || (text != spec->unset && PyList_Append(texts, text) < 0)) {
                Py_XDECREF(text);
                Py_DECREF(texts);
                goto error;
            }
            Py_DECREF(text);
        }
        PyObject *empty = PyUnicode_FromStringAndSize(NULL, 0);
        *output = empty == NULL ? NULL : PyUnicode_Join(empty, texts);
        Py_XDECREF(empty);
        Py_DECREF(texts);
        if (*output == NULL)
            goto error;
    }
    status = *tokens_in + *tokens_out > spec->limit ? WALK_OVER_LIMIT : WALK_OK;
    totals->spelling |= spelling;
    totals->media_tokens += media_tokens;
    totals->media_unknown += media_unknown;
    for (Py_ssize_t m = 0; m < spec->modalities; m++)
        totals->by_modality[m] += counts[m];
done:
    Py_XDECREF(system);
    Py_XDECREF(tools);
    Py_XDECREF(contents);
    return status;
error:
    Py_XDECREF(system);
    Py_XDECREF(tools);
    Py_XDECREF(contents);
    return -2;
}

static int parse_spec(PyObject *tuple, WalkSpec *spec) {
    PyObject *per_item, *max_per;
    if (!PyTuple_Check(tuple) ||
        !PyArg_ParseTuple(tuple, "OOO!O!O!LLp", &spec->unset, &spec->encode, &PyDict_Type, &spec->mimes,
                          &PyTuple_Type, &per_item, &PyTuple_Type, &max_per, &spec->per, &spec->limit,
                          &spec->collect_media)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "spec must be a tuple");
        return -1;
    }
    spec->modalities = PyTuple_GET_SIZE(per_item);
    if (spec->modalities > MAX_MODALITIES || PyTuple_GET_SIZE(max_per) != spec->modalities || spec->per <= 0) {
        PyErr_SetString(PyExc_ValueError, "bad walk spec");
        return -1;
    }
    for (Py_ssize_t m = 0; m < spec->modalities; m++) {
        spec->per_item[m] = PyLong_AsLongLong(PyTuple_GET_ITEM(per_item, m));
        spec->max_per[m] = PyLong_AsLongLong(PyTuple_GET_ITEM(max_per, m));
        if (PyErr_Occurred())
            return -1;
    }
    return 0;
}

static PyObject *gemini_walk(PyObject *module, PyObject *args) {
    PyObject *examples, *spec_tuple;
    int want_outputs;
    WalkSpec spec;
    if (!PyArg_ParseTuple(args, "O!Op", &PyList_Type, &examples, &spec_tuple, &want_outputs) ||
        parse_spec(spec_tuple, &spec) < 0)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(examples);
    PyObject *status = PyBytes_FromStringAndSize(NULL, n);
    PyObject *tokens_in = PyBytes_FromStringAndSize(NULL, n * 4);
    PyObject *tokens_out = PyBytes_FromStringAndSize(NULL, n * 4);
    PyObject *outputs = want_outputs ? PyList_New(n) : Py_NewRef(Py_None);
    if (status == NULL || tokens_in == NULL || tokens_out == NULL || outputs == NULL)
        goto error;
    WalkTotals totals = {0};
    long long multimodal = 0;
    uint8_t *st = (uint8_t *)PyBytes_AS_STRING(status);
    uint32_t *tin = (uint32_t *)PyBytes_AS_STRING(tokens_in), *tout = (uint32_t *)PyBytes_AS_STRING(tokens_out);
    for (Py_ssize_t i = 0; i < n; i++) {
        long long a = 0, b = 0, parts_before = 0;
        PyObject *output = NULL;
        for (Py_ssize_t m = 0; m < spec.modalities; m++)
            parts_before += totals.by_modality[m];
        int got = walk_example(PyList_GET_ITEM(examples, i), &spec, want_outputs, &totals, &a, &b, &output);
        if (got == -2)
            goto error;
        long long parts_after = 0;
        for (Py_ssize_t m = 0; m < spec.modalities; m++)
            parts_after += totals.by_modality[m];
        multimodal += parts_after > parts_before;
        st[i] = (uint8_t)got;
        tin[i] = got == WALK_SLOW ? 0 : (uint32_t)a;
        tout[i] = got == WALK_SLOW ? 0 : (uint32_t)b;
        if (want_outputs)
            PyList_SET_ITEM(outputs, i, output == NULL ? Py_NewRef(Py_None) : output);
    }
    PyObject *by_modality = PyTuple_New(spec.modalities);
    if (by_modality == NULL)
        goto error;
    for (Py_ssize_t m = 0; m < spec.modalities; m++) {
        PyObject *count = PyLong_FromLongLong(totals.by_modality[m]);
        if (count == NULL) {
            Py_DECREF(by_modality);
            goto error;
        }
        PyTuple_SET_ITEM(by_modality, m, count);
    }
    return Py_BuildValue("(NNNN(iLLLN))", status, tokens_in, tokens_out, outputs, totals.spelling, multimodal,
                         totals.media_tokens, totals.media_unknown, by_modality);
error:
    Py_XDECREF(status);
    Py_XDECREF(tokens_in);
    Py_XDECREF(tokens_out);
    Py_XDECREF(outputs);
    return NULL;
}

static int intern_names(void) {
    struct {
        PyObject **slot;
        const char *name;
    } names[] = {
        {&A_SYSTEM, "systemInstruction"}, {&A_SYSTEM_SNAKE, "system_instruction"},
        {&A_CONTENTS, "contents"},        {&A_TOOLS, "tools"},
        {&A_DECL, "functionDeclarations"}, {&A_DECL_SNAKE, "function_declarations"},
        {&A_FILE, "fileData"},            {&A_FILE_SNAKE, "file_data"},
        {&A_CALL, "functionCall"},        {&A_CALL_SNAKE, "function_call"},
        {&A_RESPONSE, "functionResponse"}, {&A_RESPONSE_SNAKE, "function_response"},
        {&A_MIME, "mimeType"},            {&A_MIME_SNAKE, "mime_type"},
        {&A_URI, "fileUri"},              {&A_URI_SNAKE, "file_uri"},
        {&A_DISPLAY, "displayName"},      {&A_DISPLAY_SNAKE, "display_name"},
        {&A_NAME, "name"},                {&S_NAME, "name"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((*names[i].slot = PyUnicode_InternFromString(names[i].name)) == NULL)
            return -1;
    return 0;
}

static PyMethodDef methods[] = {
    {"line_keys", line_keys, METH_O,
     "line_keys(line) -> (exact, normalized): the two duplicate keys of one line (no newline in it)."},
    {"block_keys", block_keys, METH_O,
     "block_keys(block) -> (exact, normalized, braced): the keys of every line of a block of\n"
     "lines, each a bytes of native int64s, one per line (a final newline ends the last line; it\n"
     "starts none), and whether every line starts with '{' and ends with '}', whitespace aside."},
    {"text_chars", text_chars, METH_O,
     "text_chars(parts) -> int: the characters of the parts' texts, or -1 when one is whitespace only."},
    {"turns_chars", turns_chars, METH_O,
     "turns_chars(turns) -> (chars, alternating): the characters of every part's text of the turns (-1\n"
     "when one is whitespace only), and whether the roles are user, model, user, model, ... ending\n"
     "with model."},
    {"gemini_walk", gemini_walk, METH_VARARGS,
     "gemini_walk(examples, spec, want_outputs) -> (status, tokens_in, tokens_out, outputs, totals):\n"
     "the per-example work of a chunk of Gemini supervised examples (see _fastscan.c)."},
    {"_set_simd", set_simd, METH_O,
     "_set_simd(on) -> bool: use the SIMD path when the CPU has it (tests compare both); returns\n"
     "the previous setting."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ops.datasets._fastscan",
    .m_doc = "The dataset scanner's C fast path (see _fastscan.c).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__fastscan(void) {
    init_tables();
    ATTR_TEXT = PyUnicode_InternFromString("text");
    ATTR_PARTS = PyUnicode_InternFromString("parts");
    ATTR_ROLE = PyUnicode_InternFromString("role");
    if (ATTR_TEXT == NULL || ATTR_PARTS == NULL || ATTR_ROLE == NULL || intern_names() < 0)
        return NULL;
    return PyModule_Create(&module_def);
}
