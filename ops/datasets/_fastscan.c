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
#include <structmember.h>
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
 * both spellings of every field, fileData parts with their videoMetadata, functionCall and
 * functionResponse parts, tools). An example is taken here only when the general reader
 * (ops/datasets/gemini.py) would find no problem in it; anything else (a problem, a field in both
 * spellings, roles that do not alternate, media the table does not know, a URI that is not
 * gs://BUCKET/OBJECT, a mediaResolution) is left to the reader, which names the problem. Why C:
 * walking every turn and part in Python cost more per example than decoding it (issue #16: 60-65%
 * of the scan on realistic files), and the reader costs ~100 us an example. */

enum { WALK_OK = 0, WALK_OVER_LIMIT = 1, WALK_SLOW = 2, WALK_ERROR = -2 };
enum { CAMEL_BIT = 1, SNAKE_BIT = 2, MAX_MODALITIES = 8, MAX_CALLS = 32, MAX_FIELDS = 12 };

/* The fields the walk reads, by Struct. A Struct's fields are slots: the walk reads them at their
 * offsets, found once per type from the member descriptors, since attribute lookups cost as much
 * as the rest of the walk. Any other object is read with getattr. Two names in a row are the two
 * spellings of one field. */
enum { S_EXAMPLE, S_SYSTEM, S_TOOL, S_TURN, S_PART, S_FILE, S_VIDEO, S_FUNCTION, STRUCT_KINDS };
static const char *const FIELD_NAMES[STRUCT_KINDS][MAX_FIELDS] = {
    [S_EXAMPLE] = {"contents", "tools", "systemInstruction", "system_instruction"},
    [S_SYSTEM] = {"parts"},
    [S_TOOL] = {"functionDeclarations", "function_declarations"},
    [S_TURN] = {"role", "parts"},
    [S_PART] = {"text", "fileData", "file_data", "functionCall", "function_call", "functionResponse",
                "function_response", "videoMetadata", "video_metadata", "mediaResolution",
                "media_resolution"},
    [S_FILE] = {"mimeType", "mime_type", "fileUri", "file_uri", "displayName", "display_name"},
    [S_VIDEO] = {"startOffset", "start_offset", "endOffset", "end_offset"},
    [S_FUNCTION] = {"name"},
};
enum { F_CONTENTS = 0, F_TOOLS = 1, F_SYSTEM = 2 };   /* S_EXAMPLE */
enum { F_SYSTEM_PARTS = 0 };                          /* S_SYSTEM */
enum { F_DECLARATIONS = 0 };                          /* S_TOOL */
enum { F_ROLE = 0, F_PARTS = 1 };                     /* S_TURN */
enum { F_TEXT = 0, F_FILE = 1, F_CALL = 3, F_RESPONSE = 5, F_VIDEO = 7, F_RESOLUTION = 9 }; /* S_PART */
enum { F_MIME = 0, F_URI = 2, F_DISPLAY = 4 };        /* S_FILE */
enum { F_START = 0, F_END = 2 };                      /* S_VIDEO */
enum { F_NAME = 0 };                                  /* S_FUNCTION */

typedef struct {
    PyTypeObject *type; /* the type the offsets are of (a strong reference), or NULL */
    int slots;          /* whether every field is an object slot of `type` */
    Py_ssize_t offset[MAX_FIELDS];
    PyObject *name[MAX_FIELDS]; /* interned */
} Fields;

static Fields FIELDS[STRUCT_KINDS];
static PyObject *S_NAME; /* the "name" key of a function declaration (a dict) */

static int intern_names(void) {
    for (int k = 0; k < STRUCT_KINDS; k++)
        for (int f = 0; f < MAX_FIELDS && FIELD_NAMES[k][f] != NULL; f++)
            if ((FIELDS[k].name[f] = PyUnicode_InternFromString(FIELD_NAMES[k][f])) == NULL)
                return -1;
    S_NAME = PyUnicode_InternFromString("name");
    return S_NAME == NULL ? -1 : 0;
}

static void find_slots(Fields *fields, PyTypeObject *type) {
    Py_INCREF(type);
    Py_XSETREF(fields->type, type);
    fields->slots = 1;
    for (int f = 0; f < MAX_FIELDS && fields->name[f] != NULL; f++) {
        PyObject *descr = _PyType_Lookup(type, fields->name[f]); /* borrowed */
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
            fields->slots = 0;
            return;
        }
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type != T_OBJECT_EX && member->type != T_OBJECT) {
            fields->slots = 0;
            return;
        }
        fields->offset[f] = member->offset;
    }
}

/* Field f of obj (a Struct of kind k): a new reference, or NULL with an exception set. */
static PyObject *field(PyObject *obj, int k, int f) {
    Fields *fields = &FIELDS[k];
    if (Py_TYPE(obj) != fields->type)
        find_slots(fields, Py_TYPE(obj));
    if (fields->slots) {
        PyObject *value = *(PyObject **)((char *)obj + fields->offset[f]);
        if (value != NULL)
            return Py_NewRef(value);
    }
    return PyObject_GetAttr(obj, fields->name[f]);
}

typedef struct {
    long long per_item;    /* tokens per part; -1: none */
    long long max_per;     /* parts per example; -1: no limit */
    long long per_second;  /* tokens per second of a clip; -1: none */
    double max_seconds;    /* seconds per example; negative: no limit */
} ModalityRules;

typedef struct {
    PyObject *unset;  /* msgspec.UNSET */
    PyObject *encode; /* msgspec.json.encode */
    PyObject *mimes;  /* dict: MIME type -> modality index */
    Py_ssize_t modalities;
    ModalityRules rules[MAX_MODALITIES];
    long long per;   /* characters per token */
    long long limit; /* tokens per example */
    int collect_media;
    Py_ssize_t video; /* the index of the modality videoMetadata belongs to */
} WalkSpec;

typedef struct { /* one example's media */
    long long counts[MAX_MODALITIES];
    double seconds[MAX_MODALITIES];
    long long tokens, unknown;
} Media;

typedef struct { /* what the taken examples add to the range's totals */
    int spelling;
    long long multimodal, media_tokens, media_unknown;
    long long by_modality[MAX_MODALITIES];
} WalkTotals;

/* One of two spellings of field f (and f + 1) of a Struct of kind k: 0 when neither is set, 1 with
 * *out set (a new reference), WALK_SLOW when both are set (the reader reports a duplicate field),
 * WALK_ERROR with an exception set. */
static int either(PyObject *obj, int k, int f, const WalkSpec *spec, int *spelling, PyObject **out) {
    PyObject *a = field(obj, k, f);
    if (a == NULL)
        return WALK_ERROR;
    PyObject *b = field(obj, k, f + 1);
    if (b == NULL) {
        Py_DECREF(a);
        return WALK_ERROR;
    }
    int has_a = a != spec->unset, has_b = b != spec->unset;
    if (has_a && has_b) {
        Py_DECREF(a);
        Py_DECREF(b);
        return WALK_SLOW;
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
 * -2 with an exception set. */
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
        chars += (p[i] & 0xC0) != 0x80; /* every UTF-8 byte but a continuation byte starts a character */
    Py_DECREF(encoded);
    return chars;
}

/* Whether a str is gs://BUCKET/OBJECT, which gemini.py's check_uri takes without a finding. */
static int gcs_object(PyObject *uri) {
    Py_ssize_t size;
    const char *s = PyUnicode_Check(uri) ? PyUnicode_AsUTF8AndSize(uri, &size) : NULL;
    if (s == NULL) {
        PyErr_Clear();
        return 0;
    }
    return size > 5 && memcmp(s, "gs://", 5) == 0 && memchr(s + 5, '/', (size_t)(size - 5)) != NULL &&
           s[size - 1] != '/';
}

/* A clip offset as gemini.py reads it (ASCII digits, optionally '.' and 1-9 digits, then 's'), in
 * seconds, converted as float() converts; 0 when it is not one. */
static int duration(PyObject *text, double *seconds) {
    Py_ssize_t n, i = 0;
    const char *s = PyUnicode_Check(text) ? PyUnicode_AsUTF8AndSize(text, &n) : NULL;
    if (s == NULL) {
        PyErr_Clear();
        return 0;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0)
        return 0;
    if (i < n && s[i] == '.') {
        Py_ssize_t first = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == first || i - first > 9)
            return 0;
    }
    char number[64];
    if (i != n - 1 || s[i] != 's' || i >= (Py_ssize_t)sizeof number)
        return 0;
    memcpy(number, s, (size_t)i);
    number[i] = '\0';
    *seconds = PyOS_string_to_double(number, NULL, NULL);
    if (*seconds == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* A clip's length from videoMetadata: WALK_OK with *has set when both offsets are given, WALK_SLOW
 * when the reader would find a problem, WALK_ERROR. */
static int clip_seconds(PyObject *video, const WalkSpec *spec, int *spelling, int *has, double *seconds) {
    double offsets[2];
    int given[2];
    for (int i = 0; i < 2; i++) {
        PyObject *text = NULL;
        int got = either(video, S_VIDEO, i ? F_END : F_START, spec, spelling, &text);
        if (got != 0 && got != 1)
            return got;
        given[i] = got == 1;
        int ok = !given[i] || duration(text, &offsets[i]);
        Py_XDECREF(text);
        if (!ok)
            return WALK_SLOW;
    }
    *has = given[0] && given[1];
    if (*has) {
        if (offsets[1] <= offsets[0])
            return WALK_SLOW; /* ends before it starts */
        *seconds = offsets[1] - offsets[0];
    }
    return WALK_OK;
}

/* A fileData part (and its videoMetadata, or NULL): WALK_OK, WALK_SLOW or WALK_ERROR. */
static int walk_file(PyObject *file, PyObject *video, const WalkSpec *spec, int *spelling, Media *media) {
    PyObject *mime = NULL, *uri = NULL, *display = NULL;
    int status, got;
    if ((got = either(file, S_FILE, F_MIME, spec, spelling, &mime)) != 1)
        return got == 0 ? WALK_SLOW : got;
    if ((got = either(file, S_FILE, F_URI, spec, spelling, &uri)) != 1) {
        status = got == 0 ? WALK_SLOW : got;
        goto done;
    }
    if ((got = either(file, S_FILE, F_DISPLAY, spec, spelling, &display)) != 0 && got != 1) {
        status = got;
        goto done;
    }
    status = WALK_SLOW;
    if (spec->collect_media || !PyUnicode_Check(mime) || !gcs_object(uri))
        goto done;
    PyObject *index = PyDict_GetItemWithError(spec->mimes, mime); /* borrowed */
    if (index == NULL) {
        status = PyErr_Occurred() ? WALK_ERROR : WALK_SLOW;
        goto done;
    }
    Py_ssize_t m = PyLong_AsSsize_t(index);
    if (m < 0 || m >= spec->modalities) {
        status = PyErr_Occurred() ? WALK_ERROR : WALK_SLOW;
        goto done;
    }
    int has_seconds = 0;
    double seconds = 0;
    if (video != NULL) {
        if (m != spec->video) /* videoMetadata on an image, audio or document part */
            goto done;
        if ((got = clip_seconds(video, spec, spelling, &has_seconds, &seconds)) != WALK_OK) {
            status = got;
            goto done;
        }
    }
    const ModalityRules *rules = &spec->rules[m];
    media->counts[m]++;
    media->seconds[m] += has_seconds ? seconds : 0;
    if (rules->per_item >= 0) {
        media->tokens += rules->per_item;
    } else if (rules->per_second >= 0 && has_seconds) {
        /* gemini.py: -(-int(seconds * 1000) * rate // 1000) */
        long long milliseconds = (long long)(seconds * 1000);
        media->tokens += (milliseconds * rules->per_second + 999) / 1000;
    } else {
        media->unknown++;
    }
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

/* The characters of a function call's or response's JSON, when the reader takes it where it is:
 * a call in a model turn (to a declared function when tools are given), a response in a user turn
 * to a call of the turn before. -1: leave the example to the reader; -2: an exception. */
static Py_ssize_t walk_function(PyObject *value, int is_call, int model, const WalkSpec *spec,
                                PyObject **declared, int ndeclared, int have_tools, PyObject **calls,
                                int *ncalls, PyObject **previous, int nprevious) {
    PyObject *name = field(value, S_FUNCTION, F_NAME);
    if (name == NULL)
        return -2;
    Py_DECREF(name); /* kept alive by `value` */
    if (!PyUnicode_Check(name) || PyUnicode_GET_LENGTH(name) == 0)
        return -1;
    if (is_call) {
        if (!model || *ncalls == MAX_CALLS || (have_tools && !named(name, declared, ndeclared)))
            return -1;
        calls[(*ncalls)++] = name;
    } else if (model || !named(name, previous, nprevious)) {
        return -1;
    }
    return encoded_chars(value, spec);
}

/* One example: WALK_OK / WALK_OVER_LIMIT with its token counts (and *output, a new reference, when
 * asked), WALK_SLOW, or WALK_ERROR with an exception set. */
static int walk_example(PyObject *ex, const WalkSpec *spec, int want_output, WalkTotals *totals,
                        long long *tokens_in, long long *tokens_out, PyObject **output) {
    int status = WALK_SLOW, got, spelling = 0, ndeclared = 0, ncalls = 0, nprevious = 0;
    long long chars_in = 0, chars_out = 0;
    Media media;
    memset(&media, 0, sizeof media);
    PyObject *system = NULL, *tools = NULL, *contents = NULL, *last_parts = NULL;
    /* Borrowed: every one is kept alive by `tools` or `contents`. */
    PyObject *declared[MAX_CALLS], *calls[MAX_CALLS], *previous[MAX_CALLS];
    if (ex == Py_None)
        return WALK_SLOW;
    /* The system instruction: text parts only (its Struct has no other part). */
    if ((got = either(ex, S_EXAMPLE, F_SYSTEM, spec, &spelling, &system)) != 0 && got != 1)
        return got;
    if (got == 1 && system != Py_None) {
        PyObject *parts = field(system, S_SYSTEM, F_SYSTEM_PARTS);
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
    if ((tools = field(ex, S_EXAMPLE, F_TOOLS)) == NULL)
        goto error;
    int have_tools = tools != Py_None;
    if (have_tools) {
        if (!PyList_Check(tools))
            goto done;
        for (Py_ssize_t t = 0; t < PyList_GET_SIZE(tools); t++) {
            PyObject *decls = NULL;
            if ((got = either(PyList_GET_ITEM(tools, t), S_TOOL, F_DECLARATIONS, spec, &spelling, &decls)) != 1) {
                if (got == WALK_ERROR)
                    goto error;
                goto done;
            }
            Py_DECREF(decls); /* kept alive by `tools` */
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
    if ((contents = field(ex, S_EXAMPLE, F_CONTENTS)) == NULL)
        goto error;
    if (!PyList_Check(contents))
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(contents);
    if (n == 0 || n % 2)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *turn = PyList_GET_ITEM(contents, i);
        PyObject *role = field(turn, S_TURN, F_ROLE);
        if (role == NULL)
            goto error;
        int model = PyUnicode_Check(role) && PyUnicode_CompareWithASCIIString(role, "model") == 0;
        int user = !model && PyUnicode_Check(role) && PyUnicode_CompareWithASCIIString(role, "user") == 0;
        Py_DECREF(role);
        if (i % 2 ? !model : !user)
            goto done;
        PyObject *parts = field(turn, S_TURN, F_PARTS);
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
            /* Borrowed pointers: every value stays alive through the part. */
            PyObject *got_value[4] = {NULL, NULL, NULL, NULL}; /* fileData, functionCall, functionResponse, videoMetadata */
            static const int kinds_at[4] = {F_FILE, F_CALL, F_RESPONSE, F_VIDEO};
            PyObject *text = field(part, S_PART, F_TEXT);
            if (text == NULL)
                goto error;
            Py_DECREF(text);
            int kinds = text != spec->unset, set[4] = {0, 0, 0, 0};
            for (int k = 0; k < 4; k++) {
                set[k] = either(part, S_PART, kinds_at[k], spec, &spelling, &got_value[k]);
                Py_XDECREF(got_value[k]);
                if (set[k] == WALK_ERROR)
                    goto error;
                if (set[k] == WALK_SLOW)
                    goto done;
            }
            PyObject *resolution = NULL;
            if ((got = either(part, S_PART, F_RESOLUTION, spec, &spelling, &resolution)) != 0) {
                Py_XDECREF(resolution);
                if (got == WALK_ERROR)
                    goto error;
                goto done; /* a mediaResolution: the reader checks it */
            }
            if (kinds + set[0] + set[1] + set[2] != 1 || (set[3] && !set[0]))
                goto done;
            if (kinds) {
                if (!PyUnicode_Check(text) || PyUnicode_GET_LENGTH(text) == 0 || is_blank(text))
                    goto done;
                turn_chars += PyUnicode_GET_LENGTH(text);
            } else if (set[0]) {
                got = walk_file(got_value[0], set[3] ? got_value[3] : NULL, spec, &spelling, &media);
                if (got != WALK_OK) {
                    if (got == WALK_ERROR)
                        goto error;
                    goto done;
                }
            } else {
                Py_ssize_t chars = walk_function(set[1] ? got_value[1] : got_value[2], set[1], model, spec,
                                                 declared, ndeclared, have_tools, calls, &ncalls, previous,
                                                 nprevious);
                if (chars == -2)
                    goto error;
                if (chars == -1)
                    goto done;
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
            last_parts = parts;
        } else {
            chars_in += turn_chars;
        }
    }
    int multimodal = 0;
    for (Py_ssize_t m = 0; m < spec->modalities; m++) {
        const ModalityRules *rules = &spec->rules[m];
        if (rules->max_per >= 0 && media.counts[m] > rules->max_per)
            goto done; /* too many parts: the reader names the limit */
        if (rules->max_seconds >= 0 && media.seconds[m] > rules->max_seconds)
            goto done;
        multimodal |= media.counts[m] > 0;
    }
    long long per = spec->per;
    *tokens_in = (chars_in + per - 1) / per + media.tokens;
    *tokens_out = (chars_out + per - 1) / per;
    if (*tokens_in > 0xFFFFFFFFll || *tokens_out > 0xFFFFFFFFll)
        goto done;
    if (want_output) { /* "".join of the last turn's texts (file parts add none) */
        PyObject *texts = PyList_New(0);
        if (texts == NULL)
            goto error;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(last_parts); j++) {
            PyObject *text = field(PyList_GET_ITEM(last_parts, j), S_PART, F_TEXT);
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
    totals->multimodal += multimodal;
    totals->media_tokens += media.tokens;
    totals->media_unknown += media.unknown;
    for (Py_ssize_t m = 0; m < spec->modalities; m++)
        totals->by_modality[m] += media.counts[m];
done:
    Py_XDECREF(system);
    Py_XDECREF(tools);
    Py_XDECREF(contents);
    return status;
error:
    Py_XDECREF(system);
    Py_XDECREF(tools);
    Py_XDECREF(contents);
    return WALK_ERROR;
}

static int parse_spec(PyObject *tuple, WalkSpec *spec) {
    PyObject *table;
    if (!PyTuple_Check(tuple)) {
        PyErr_SetString(PyExc_TypeError, "spec must be a tuple");
        return -1;
    }
    if (!PyArg_ParseTuple(tuple, "OOO!O!LLpn", &spec->unset, &spec->encode, &PyDict_Type, &spec->mimes,
                          &PyTuple_Type, &table, &spec->per, &spec->limit, &spec->collect_media, &spec->video))
        return -1;
    spec->modalities = PyTuple_GET_SIZE(table);
    if (spec->modalities > MAX_MODALITIES || spec->per <= 0) {
        PyErr_SetString(PyExc_ValueError, "bad walk spec");
        return -1;
    }
    for (Py_ssize_t m = 0; m < spec->modalities; m++) {
        ModalityRules *rules = &spec->rules[m];
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(table, m), "LLLd", &rules->per_item, &rules->max_per,
                              &rules->per_second, &rules->max_seconds))
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
    PyObject *by_modality = NULL;
    WalkTotals totals;
    memset(&totals, 0, sizeof totals);
    if (status == NULL || tokens_in == NULL || tokens_out == NULL || outputs == NULL)
        goto error;
    uint8_t *st = (uint8_t *)PyBytes_AS_STRING(status);
    uint32_t *tin = (uint32_t *)PyBytes_AS_STRING(tokens_in), *tout = (uint32_t *)PyBytes_AS_STRING(tokens_out);
    for (Py_ssize_t i = 0; i < n; i++) {
        long long a = 0, b = 0;
        PyObject *output = NULL;
        int got = walk_example(PyList_GET_ITEM(examples, i), &spec, want_outputs, &totals, &a, &b, &output);
        if (got == WALK_ERROR)
            goto error;
        st[i] = (uint8_t)got;
        tin[i] = got == WALK_SLOW ? 0 : (uint32_t)a;
        tout[i] = got == WALK_SLOW ? 0 : (uint32_t)b;
        if (want_outputs)
            PyList_SET_ITEM(outputs, i, output == NULL ? Py_NewRef(Py_None) : output);
    }
    if ((by_modality = PyTuple_New(spec.modalities)) == NULL)
        goto error;
    for (Py_ssize_t m = 0; m < spec.modalities; m++) {
        PyObject *count = PyLong_FromLongLong(totals.by_modality[m]);
        if (count == NULL)
            goto error;
        PyTuple_SET_ITEM(by_modality, m, count);
    }
    return Py_BuildValue("(NNNN(iLLLN))", status, tokens_in, tokens_out, outputs, totals.spelling,
                         totals.multimodal, totals.media_tokens, totals.media_unknown, by_modality);
error:
    Py_XDECREF(status);
    Py_XDECREF(tokens_in);
    Py_XDECREF(tokens_out);
    Py_XDECREF(outputs);
    Py_XDECREF(by_modality);
    return NULL;
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
