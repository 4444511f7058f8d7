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
 *
 * 3. gemini_walk: the whole check and count of Gemini supervised examples decoded by msgspec (media,
 * function calls, tools, either spelling), leaving to the general reader every example it would
 * find a problem in.
 *
 * 4. gemini_parse: the same, read straight from each line's JSON bytes (no Python objects), for
 * the lines it fully understands; it declines the others, which are decoded and walked.
 *
 * 5. The key store's records: split into partitions, and searched for repeats within a file and
 * for matches between a validation file and its training file, through a hash table in one pass
 * (numpy's import alone cost ~0.1 s of a validate run's start-up).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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

/* --- lines of a block ------------------------------------------------------------------------ */

/* The lines of a block: its newlines, and one more when the last line has none (a final newline
 * ends the last line; it starts none). Counted 16 bytes a step: a memchr call per line cost as
 * much as splitting the lines again. */
static Py_ssize_t count_lines(const uint8_t *p, const uint8_t *stop) {
    Py_ssize_t n = 0;
    const uint8_t *start = p;
#if defined(__SSE2__)
    /* Per-byte counters (a match is -1, subtracted) summed every 255 steps, before one can wrap:
     * no popcount, which without -mpopcnt is a library call per step. */
    const __m128i newline = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (stop - p >= 16) {
        __m128i counts = zero;
        for (int k = 0; k < 255 && stop - p >= 16; k++, p += 16)
            counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), newline));
        __m128i sums = _mm_sad_epu8(counts, zero);
        n += _mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4);
    }
#endif
    for (; p < stop; p++)
        n += *p == '\n';
    return n + (stop > start && stop[-1] != '\n');
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
    Py_ssize_t lines = count_lines(p, stop);
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
enum { S_EXAMPLE, S_SYSTEM, S_TOOL, S_TURN, S_PART, S_FILE, S_VIDEO, S_CALL, S_RESPONSE, STRUCT_KINDS };
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
    [S_CALL] = {"name"},
    [S_RESPONSE] = {"name"}, /* a kind of its own: each kind caches the offsets of one type */
};
enum { F_CONTENTS = 0, F_TOOLS = 1, F_SYSTEM = 2 };   /* S_EXAMPLE */
enum { F_SYSTEM_PARTS = 0 };                          /* S_SYSTEM */
enum { F_DECLARATIONS = 0 };                          /* S_TOOL */
enum { F_ROLE = 0, F_PARTS = 1 };                     /* S_TURN */
enum { F_TEXT = 0, F_FILE = 1, F_CALL = 3, F_RESPONSE = 5, F_VIDEO = 7, F_RESOLUTION = 9 }; /* S_PART */
enum { F_MIME = 0, F_URI = 2, F_DISPLAY = 4 };        /* S_FILE */
enum { F_START = 0, F_END = 2 };                      /* S_VIDEO */
enum { F_NAME = 0 };                                  /* S_CALL, S_RESPONSE */

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
    PyObject *name = field(value, is_call ? S_CALL : S_RESPONSE, F_NAME);
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

/* --- Gemini supervised lines straight from their bytes --------------------------------------- */

/* gemini_parse: what gemini_walk computes, read straight from the JSON bytes of each line, without
 * decoding it into Python objects (decoding and freeing them was ~70% of the scan). It takes only
 * the lines it fully understands and declines every other one (status 3), which the scanner then
 * decodes with msgspec and walks: declining is always correct, so the parser is conservative.
 * It takes a line only when msgspec would decode it into GeminiSupervisedAny and gemini_walk would
 * take it; tests/test_dataset_walk.py holds it to that on generated and mutated lines.
 * Declined: floats and exponents in function arguments (their re-encoding is msgspec's business),
 * integers of more than 18 digits, `-0`, escapes in keys and names, lone surrogate escapes, a key
 * given twice, parts before the role of a turn, nesting deeper than 32, more than 16 keys in an
 * object of arguments. */

enum { PARSE_DECLINED = 3, MAX_MIMES = 64, MAX_KEYS = 16, MAX_DEPTH = 32 };

typedef struct {
    const uint8_t *at, *end;
} Cursor;

typedef struct {
    const uint8_t *raw; /* the bytes between the quotes */
    Py_ssize_t raw_len;
    long long chars;   /* code points */
    long long encoded; /* characters of msgspec's encoding of the string, quotes included */
    int escaped;       /* whether it holds an escape */
    int blank;         /* whether every code point is whitespace (str.isspace() when chars > 0) */
} Str;

typedef struct {
    const uint8_t *bytes;
    Py_ssize_t len;
    Py_ssize_t modality;
} Mime;

static void ws(Cursor *c) {
    while (c->at < c->end && (*c->at == ' ' || *c->at == '\t' || *c->at == '\n' || *c->at == '\r'))
        c->at++;
}

static int take(Cursor *c, uint8_t byte) {
    ws(c);
    if (c->at < c->end && *c->at == byte) {
        c->at++;
        return 1;
    }
    return 0;
}

static int hex4(const uint8_t *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t h = p[i];
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= h - '0';
        else if (h >= 'a' && h <= 'f')
            v |= h - 'a' + 10;
        else if (h >= 'A' && h <= 'F')
            v |= h - 'A' + 10;
        else
            return 0;
    }
    *out = v;
    return 1;
}

static inline void count_char(Str *s, unsigned cp) {
    s->chars++;
    if (cp == '"' || cp == '\\' || cp == '\b' || cp == '\f' || cp == '\n' || cp == '\r' || cp == '\t')
        s->encoded += 2;
    else if (cp < 0x20)
        s->encoded += 6;
    else
        s->encoded += 1;
    if (s->blank && !Py_UNICODE_ISSPACE((Py_UCS4)cp))
        s->blank = 0;
}

/* A JSON string at the cursor, UTF-8 checked as strictly as Python's decoder. */
static int string(Cursor *c, Str *s) {
    ws(c);
    if (c->at >= c->end || *c->at != '"')
        return 0;
    const uint8_t *p = ++c->at, *end = c->end;
    s->raw = p;
    s->chars = 0;
    s->encoded = 2;
    s->escaped = 0;
    s->blank = 1;
    while (p < end) {
#if defined(__SSE2__)
        /* 16 printable ASCII bytes at a time: no quote, backslash, control or non-ASCII byte. The
         * counts are kept in registers and added once (each is one per byte here). */
        const uint8_t *run = p;
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
        const __m128i control = _mm_set1_epi8(0x20), space = _mm_set1_epi8(' ');
        int blank = s->blank;
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)p);
            __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                           _mm_cmplt_epi8(v, control)); /* signed: also every byte >= 0x80 */
            unsigned stop = (unsigned)_mm_movemask_epi8(special);
            /* the bytes before the first special one are plain: taken here, so the byte loop below
             * sees only the special byte (not each plain byte before it, 16 at a time again) */
            unsigned plain = stop ? (1u << __builtin_ctz(stop)) - 1 : 0xFFFFu;
            if (blank && (_mm_movemask_epi8(_mm_cmpeq_epi8(v, space)) & plain) != plain)
                blank = 0;
            if (stop) {
                p += __builtin_ctz(stop);
                break;
            }
            p += 16;
        }
        s->blank = blank;
        s->chars += p - run;
        s->encoded += p - run;
        if (p >= end)
            break;
#endif
        uint8_t b = *p;
        if (b >= 0x20 && b < 0x80 && b != '"' && b != '\\') {
            s->chars++;
            s->encoded++;
            s->blank &= b == ' ';
            p++;
            continue;
        }
        if (b == '"') {
            s->raw_len = p - s->raw;
            c->at = p + 1;
            return 1;
        }
        if (b < 0x80) {
            if (b < 0x20)
                return 0; /* a raw control character: not JSON */
            if (b != '\\') {
                count_char(s, b);
                p++;
                continue;
            }
            s->escaped = 1;
            if (p + 1 >= end)
                return 0;
            uint8_t e = p[1];
            unsigned cp;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (p + 6 > end || !hex4(p + 2, &cp))
                    return 0;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return 0; /* a lone low surrogate */
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned low;
                    if (p + 12 > end || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, &low) || low < 0xDC00 ||
                        low > 0xDFFF)
                        return 0;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    p += 6;
                }
                p += 4;
                break;
            default:
                return 0;
            }
            count_char(s, cp);
            p += 2;
            continue;
        }
        /* UTF-8: the well-formed sequences of Unicode's table 3-7 */
        unsigned cp;
        int n;
        if (b >= 0xC2 && b <= 0xDF) {
            n = 2;
            cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            n = 3;
            cp = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            n = 4;
            cp = b & 0x07;
        } else {
            return 0;
        }
        if (p + n > end)
            return 0;
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        count_char(s, cp);
        p += n;
    }
    return 0;
}

/* A string key equal to `name` (no escapes). */
static int is_key(const Str *key, const char *name) {
    size_t n = strlen(name);
    return !key->escaped && (size_t)key->raw_len == n && memcmp(key->raw, name, n) == 0;
}

/* Which of `names` a key is (-1: none). */
static int key_index(const Str *key, const char *const *names, int count) {
    for (int i = 0; i < count; i++)
        if (is_key(key, names[i]))
            return i;
    return -1;
}

/* Any JSON value, adding the characters of msgspec's compact encoding of it to *encoded. When
 * `name` is given and the value is an object, its "name" member (a string without escapes) is
 * stored there. */
static int any_value(Cursor *c, int depth, long long *encoded, Str *name) {
    if (depth > MAX_DEPTH)
        return 0;
    ws(c);
    if (c->at >= c->end)
        return 0;
    uint8_t b = *c->at;
    if (b == '"') {
        Str s;
        if (!string(c, &s))
            return 0;
        *encoded += s.encoded;
        return 1;
    }
    if (b == '{') {
        c->at++;
        const uint8_t *keys[MAX_KEYS];
        Py_ssize_t lens[MAX_KEYS];
        int nkeys = 0;
        *encoded += 2;
        if (take(c, '}'))
            return 1;
        do {
            Str key;
            if (!string(c, &key) || key.escaped || nkeys == MAX_KEYS)
                return 0;
            for (int i = 0; i < nkeys; i++)
                if (lens[i] == key.raw_len && memcmp(keys[i], key.raw, (size_t)key.raw_len) == 0)
                    return 0; /* a repeated key: a dict keeps one */
            keys[nkeys] = key.raw;
            lens[nkeys++] = key.raw_len;
            if (!take(c, ':'))
                return 0;
            *encoded += key.encoded + 1 + (nkeys > 1);
            if (name != NULL && is_key(&key, "name")) {
                ws(c);
                const uint8_t *before = c->at;
                long long value_chars = 0;
                if (!any_value(c, depth + 1, &value_chars, NULL))
                    return 0;
                *encoded += value_chars;
                Cursor again = {before, c->at};
                if (*before != '"' || !string(&again, name) || name->escaped)
                    return 0;
            } else if (!any_value(c, depth + 1, encoded, NULL)) {
                return 0;
            }
        } while (take(c, ','));
        return take(c, '}');
    }
    if (b == '[') {
        c->at++;
        *encoded += 2;
        if (take(c, ']'))
            return 1;
        int items = 0;
        do {
            *encoded += items++ > 0;
            if (!any_value(c, depth + 1, encoded, NULL))
                return 0;
        } while (take(c, ','));
        return take(c, ']');
    }
    if (b == 't' || b == 'f' || b == 'n') {
        const char *word = b == 't' ? "true" : b == 'f' ? "false" : "null";
        size_t n = strlen(word);
        if ((size_t)(c->end - c->at) < n || memcmp(c->at, word, n) != 0)
            return 0;
        c->at += n;
        *encoded += (long long)n;
        return 1;
    }
    /* an integer as msgspec writes it back: no fraction, no exponent, no -0, at most 18 digits */
    const uint8_t *start = c->at;
    if (*c->at == '-')
        c->at++;
    const uint8_t *digits = c->at;
    while (c->at < c->end && *c->at >= '0' && *c->at <= '9')
        c->at++;
    Py_ssize_t n = c->at - digits;
    if (n == 0 || n > 18 || (n > 1 && *digits == '0') || (*digits == '0' && start != digits))
        return 0;
    if (c->at < c->end && (*c->at == '.' || *c->at == 'e' || *c->at == 'E'))
        return 0;
    *encoded += c->at - start;
    return 1;
}

typedef struct {
    const WalkSpec *spec;
    const Mime *mimes;
    int nmimes;
    int spelling;
    Media media;
    int ndeclared, ncalls, nprevious, nall, have_tools;
    /* Left uninitialised (only [0, n) is read): zeroing them cost more than parsing a short line. */
    Str declared[MAX_CALLS], calls[MAX_CALLS], previous[MAX_CALLS], all_calls[MAX_CALLS];
} Line;

static int same_name(const Str *a, const Str *b) {
    return a->raw_len == b->raw_len && memcmp(a->raw, b->raw, (size_t)a->raw_len) == 0;
}

/* The key of an object member and its colon; *spelling gains the bit of a two-word name. */
static int member(Cursor *c, Str *key) {
    return string(c, key) && !key->escaped && take(c, ':');
}

/* Which field a key names among pairs of spellings (camel, snake): the pair's index, with the
 * spelling bit in *bit; -1 when none. */
static int spelled(const Str *key, const char *const *pairs, int count, int *bit) {
    int i = key_index(key, pairs, count * 2);
    if (i >= 0)
        *bit = i % 2 ? SNAKE_BIT : CAMEL_BIT;
    return i < 0 ? -1 : i / 2;
}

static int parse_clip(Cursor *c, Line *line, int *has, double *seconds) {
    static const char *const names[] = {"startOffset", "start_offset", "endOffset", "end_offset"};
    double offsets[2];
    int seen = 0;
    if (!take(c, '{'))
        return 0;
    if (!take(c, '}')) {
        do {
            Str key;
            if (!member(c, &key))
                return 0;
            int bit = 0, which = spelled(&key, names, 2, &bit);
            if (which < 0) {
                long long ignored = 0;
                if (!is_key(&key, "fps") || (seen & 4) || !any_value(c, 0, &ignored, NULL))
                    return 0;
                seen |= 4;
                continue;
            }
            Str value;
            if ((seen & (1 << which)) || !string(c, &value) || value.escaped)
                return 0;
            seen |= 1 << which;
            line->spelling |= bit;
            PyObject *text = PyUnicode_DecodeUTF8((const char *)value.raw, value.raw_len, NULL);
            if (text == NULL) {
                PyErr_Clear();
                return 0;
            }
            int ok = duration(text, &offsets[which]);
            Py_DECREF(text);
            if (!ok)
                return 0;
        } while (take(c, ','));
        if (!take(c, '}'))
            return 0;
    }
    *has = (seen & 3) == 3;
    if (*has) {
        if (offsets[1] <= offsets[0])
            return 0;
        *seconds = offsets[1] - offsets[0];
    }
    return 1;
}

static int parse_file(Cursor *c, Line *line, Py_ssize_t *modality) {
    static const char *const names[] = {"mimeType", "mime_type", "fileUri", "file_uri", "displayName", "display_name"};
    Str values[3];
    int seen = 0;
    if (!take(c, '{') || take(c, '}'))
        return 0;
    do {
        Str key;
        if (!member(c, &key))
            return 0;
        int bit = 0, which = spelled(&key, names, 3, &bit);
        if (which < 0 || (seen & (1 << which)) || !string(c, &values[which]))
            return 0;
        seen |= 1 << which;
        line->spelling |= bit;
    } while (take(c, ','));
    if (!take(c, '}') || (seen & 3) != 3 || line->spec->collect_media)
        return 0;
    const Str *mime = &values[0], *uri = &values[1];
    if (mime->escaped || uri->escaped)
        return 0;
    const uint8_t *u = uri->raw;
    Py_ssize_t n = uri->raw_len;
    if (!(n > 5 && memcmp(u, "gs://", 5) == 0 && memchr(u + 5, '/', (size_t)(n - 5)) != NULL && u[n - 1] != '/'))
        return 0;
    for (int i = 0; i < line->nmimes; i++)
        if (line->mimes[i].len == mime->raw_len && memcmp(line->mimes[i].bytes, mime->raw, (size_t)mime->raw_len) == 0) {
            *modality = line->mimes[i].modality;
            return 1;
        }
    return 0;
}

/* A functionCall or functionResponse object: its name, and the characters of its JSON. */
static int parse_function(Cursor *c, int is_call, Str *name, long long *encoded) {
    int seen = 0, members = 0;
    *encoded = 2;
    if (!take(c, '{') || take(c, '}'))
        return 0;
    do {
        Str key;
        if (!member(c, &key))
            return 0;
        *encoded += key.encoded + 1 + (members++ > 0);
        if (is_key(&key, "name") && !(seen & 1)) {
            seen |= 1;
            if (!string(c, name) || name->escaped || name->raw_len == 0)
                return 0;
            *encoded += name->encoded;
        } else if (is_key(&key, is_call ? "args" : "response") && !(seen & 2)) {
            seen |= 2;
            ws(c);
            if (c->at >= c->end || *c->at != '{' || !any_value(c, 1, encoded, NULL))
                return 0;
        } else if (is_key(&key, "id") && !(seen & 4)) {
            Str id;
            seen |= 4;
            if (!string(c, &id))
                return 0;
            *encoded += id.encoded;
        } else {
            return 0;
        }
    } while (take(c, ','));
    return take(c, '}') && (seen & 1) && (is_call || (seen & 2));
}

/* One part of a turn; adds its characters to *chars. */
static int parse_part(Cursor *c, Line *line, int model, long long *chars, int *only_text) {
    static const char *const kinds[] = {"fileData", "file_data", "functionCall", "function_call",
                                        "functionResponse", "function_response", "videoMetadata", "video_metadata"};
    int data = 0, seen = 0, has_seconds = 0, has_video = 0;
    double seconds = 0;
    Py_ssize_t modality = -1;
    if (!take(c, '{') || take(c, '}'))
        return 0;
    do {
        Str key;
        if (!member(c, &key))
            return 0;
        if (is_key(&key, "text")) {
            Str text;
            if ((seen & 1) || !string(c, &text) || text.chars == 0 || text.blank)
                return 0;
            seen |= 1;
            data++;
            *chars += text.chars;
            continue;
        }
        int bit = 0, which = spelled(&key, kinds, 4, &bit);
        if (which < 0 || (seen & (2 << which)))
            return 0;
        seen |= 2 << which;
        line->spelling |= bit;
        if (which == 0) {
            data++;
            if (!parse_file(c, line, &modality))
                return 0;
        } else if (which == 3) {
            has_video = 1;
            if (!parse_clip(c, line, &has_seconds, &seconds))
                return 0;
        } else {
            Str name;
            long long encoded;
            data++;
            if (!parse_function(c, which == 1, &name, &encoded))
                return 0;
            if (which == 1) {
                if (!model || line->ncalls == MAX_CALLS || line->nall == MAX_CALLS)
                    return 0;
                line->calls[line->ncalls++] = name;
                line->all_calls[line->nall++] = name; /* checked against the tools at the end */
            } else {
                int found = 0;
                for (int i = 0; i < line->nprevious && !found; i++)
                    found = same_name(&name, &line->previous[i]);
                if (model || !found)
                    return 0;
            }
            *chars += encoded;
            *only_text = 0;
        }
    } while (take(c, ','));
    if (!take(c, '}') || data != 1 || (has_video && modality < 0))
        return 0;
    if (modality >= 0) {
        const ModalityRules *rules = &line->spec->rules[modality];
        if (has_video && modality != line->spec->video)
            return 0;
        line->media.counts[modality]++;
        line->media.seconds[modality] += has_seconds ? seconds : 0;
        if (rules->per_item >= 0)
            line->media.tokens += rules->per_item;
        else if (rules->per_second >= 0 && has_seconds)
            line->media.tokens += ((long long)(seconds * 1000) * rules->per_second + 999) / 1000;
        else
            line->media.unknown++;
    }
    return 1;
}

static int parse_parts(Cursor *c, Line *line, int model, long long *chars, int *only_text) {
    if (!take(c, '[') || take(c, ']'))
        return 0;
    do
        if (!parse_part(c, line, model, chars, only_text))
            return 0;
    while (take(c, ','));
    return take(c, ']');
}

static int parse_turns(Cursor *c, Line *line, long long *chars_in, long long *chars_out) {
    int turns = 0;
    if (!take(c, '[') || take(c, ']'))
        return 0;
    long long last = 0;
    do {
        Str key, role;
        long long chars = 0;
        int only_text = 1;
        /* {"role": ..., "parts": [...]}, the role first (as every example Google shows it) */
        if (!take(c, '{') || !member(c, &key) || !is_key(&key, "role") || !string(c, &role) || role.escaped)
            return 0;
        int model = role.raw_len == 5 && memcmp(role.raw, "model", 5) == 0;
        int user = role.raw_len == 4 && memcmp(role.raw, "user", 4) == 0;
        if (turns % 2 ? !model : !user)
            return 0;
        if (!take(c, ',') || !member(c, &key) || !is_key(&key, "parts"))
            return 0;
        line->ncalls = 0;
        if (!parse_parts(c, line, model, &chars, &only_text) || !take(c, '}'))
            return 0;
        memcpy(line->previous, line->calls, sizeof(Str) * (size_t)line->ncalls);
        line->nprevious = line->ncalls;
        *chars_in += last;
        last = chars;
        turns++;
    } while (take(c, ','));
    if (!take(c, ']') || turns % 2)
        return 0;
    *chars_out = last;
    return 1;
}

static int parse_system(Cursor *c, long long *chars) {
    ws(c);
    if (c->end - c->at >= 4 && memcmp(c->at, "null", 4) == 0) {
        c->at += 4;
        return 1;
    }
    int seen = 0;
    if (!take(c, '{') || take(c, '}'))
        return 0;
    do {
        Str key;
        if (!member(c, &key))
            return 0;
        if (is_key(&key, "role") && !(seen & 1)) {
            seen |= 1;
            Str role;
            ws(c);
            if (c->end - c->at >= 4 && memcmp(c->at, "null", 4) == 0)
                c->at += 4;
            else if (!string(c, &role))
                return 0;
        } else if (is_key(&key, "parts") && !(seen & 2)) {
            seen |= 2;
            if (!take(c, '[') || take(c, ']'))
                return 0;
            do {
                Str text;
                if (!take(c, '{') || !member(c, &key) || !is_key(&key, "text") || !string(c, &text) ||
                    text.chars == 0 || text.blank || !take(c, '}'))
                    return 0;
                *chars += text.chars;
            } while (take(c, ','));
            if (!take(c, ']'))
                return 0;
        } else {
            return 0;
        }
    } while (take(c, ','));
    return take(c, '}') && (seen & 2);
}

static int parse_tools(Cursor *c, Line *line, long long *chars) {
    static const char *const names[] = {"functionDeclarations", "function_declarations"};
    ws(c);
    if (c->end - c->at >= 4 && memcmp(c->at, "null", 4) == 0) {
        c->at += 4;
        return 1;
    }
    line->have_tools = 1;
    if (!take(c, '['))
        return 0;
    if (take(c, ']'))
        return 1;
    do {
        Str key;
        int bit = 0;
        if (!take(c, '{') || !member(c, &key) || spelled(&key, names, 1, &bit) != 0)
            return 0;
        line->spelling |= bit;
        if (!take(c, '[') || take(c, ']'))
            return 0;
        do {
            Str name;
            long long encoded = 0;
            ws(c);
            name.raw = NULL;
            if (c->at >= c->end || *c->at != '{' || line->ndeclared == MAX_CALLS ||
                !any_value(c, 1, &encoded, &name) || name.raw == NULL || name.raw_len == 0)
                return 0;
            line->declared[line->ndeclared++] = name;
            *chars += encoded;
        } while (take(c, ','));
        if (!take(c, ']') || !take(c, '}'))
            return 0;
    } while (take(c, ','));
    return take(c, ']');
}

/* One line: WALK_OK / WALK_OVER_LIMIT with its token counts, or PARSE_DECLINED. */
static int parse_line(const uint8_t *p, const uint8_t *end, const WalkSpec *spec, const Mime *mimes, int nmimes,
                      WalkTotals *totals, long long *tokens_in, long long *tokens_out) {
    static const char *const names[] = {"contents", "contents", "systemInstruction", "system_instruction", "tools", "tools"};
    Cursor c = {p, end};
    Line line;
    memset(&line.media, 0, sizeof line.media);
    line.spec = spec;
    line.mimes = mimes;
    line.nmimes = nmimes;
    line.spelling = line.ndeclared = line.ncalls = line.nprevious = line.nall = line.have_tools = 0;
    long long chars_in = 0, chars_out = 0;
    int seen = 0;
    if (!take(&c, '{') || take(&c, '}'))
        return PARSE_DECLINED;
    do {
        Str key;
        if (!member(&c, &key))
            return PARSE_DECLINED;
        int bit = 0, which = spelled(&key, names, 3, &bit);
        if (which < 0 || (seen & (1 << which)))
            return PARSE_DECLINED;
        seen |= 1 << which;
        if (which == 0) {
            if (!parse_turns(&c, &line, &chars_in, &chars_out))
                return PARSE_DECLINED;
        } else if (which == 1) {
            line.spelling |= bit;
            if (!parse_system(&c, &chars_in))
                return PARSE_DECLINED;
        } else if (!parse_tools(&c, &line, &chars_in)) {
            return PARSE_DECLINED;
        }
    } while (take(&c, ','));
    if (!take(&c, '}') || !(seen & 1))
        return PARSE_DECLINED;
    ws(&c);
    if (c.at != c.end)
        return PARSE_DECLINED;
    for (int i = 0; line.have_tools && i < line.nall; i++) { /* every call is to a declared function */
        int found = 0;
        for (int j = 0; j < line.ndeclared && !found; j++)
            found = same_name(&line.all_calls[i], &line.declared[j]);
        if (!found)
            return PARSE_DECLINED;
    }
    int multimodal = 0;
    for (Py_ssize_t m = 0; m < spec->modalities; m++) {
        const ModalityRules *rules = &spec->rules[m];
        if ((rules->max_per >= 0 && line.media.counts[m] > rules->max_per) ||
            (rules->max_seconds >= 0 && line.media.seconds[m] > rules->max_seconds))
            return PARSE_DECLINED;
        multimodal |= line.media.counts[m] > 0;
    }
    long long per = spec->per;
    *tokens_in = (chars_in + per - 1) / per + line.media.tokens;
    *tokens_out = (chars_out + per - 1) / per;
    if (*tokens_in > 0xFFFFFFFFll || *tokens_out > 0xFFFFFFFFll)
        return PARSE_DECLINED;
    totals->spelling |= line.spelling;
    totals->multimodal += multimodal;
    totals->media_tokens += line.media.tokens;
    totals->media_unknown += line.media.unknown;
    for (Py_ssize_t m = 0; m < spec->modalities; m++)
        totals->by_modality[m] += line.media.counts[m];
    return *tokens_in + *tokens_out > spec->limit ? WALK_OVER_LIMIT : WALK_OK;
}

static PyObject *gemini_parse(PyObject *module, PyObject *args) {
    PyObject *block, *spec_tuple;
    WalkSpec spec;
    if (!PyArg_ParseTuple(args, "OO", &block, &spec_tuple) || parse_spec(spec_tuple, &spec) < 0)
        return NULL;
    Mime mimes[MAX_MIMES];
    int nmimes = 0;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(spec.mimes, &pos, &key, &value)) {
        Py_ssize_t len;
        const char *bytes = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &len) : NULL;
        Py_ssize_t m = PyLong_Check(value) ? PyLong_AsSsize_t(value) : -1;
        if (bytes == NULL || m < 0 || m >= spec.modalities || nmimes == MAX_MIMES) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "bad MIME table");
            return NULL;
        }
        mimes[nmimes++] = (Mime){(const uint8_t *)bytes, len, m};
    }
    Py_buffer view;
    if (PyObject_GetBuffer(block, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const uint8_t *p = view.buf, *stop = p + view.len;
    Py_ssize_t n = count_lines(p, stop);
    PyObject *status = PyBytes_FromStringAndSize(NULL, n);
    PyObject *tokens_in = PyBytes_FromStringAndSize(NULL, n * 4);
    PyObject *tokens_out = PyBytes_FromStringAndSize(NULL, n * 4);
    PyObject *by_modality = NULL;
    WalkTotals totals;
    memset(&totals, 0, sizeof totals);
    if (status == NULL || tokens_in == NULL || tokens_out == NULL)
        goto error;
    uint8_t *st = (uint8_t *)PyBytes_AS_STRING(status);
    uint32_t *tin = (uint32_t *)PyBytes_AS_STRING(tokens_in), *tout = (uint32_t *)PyBytes_AS_STRING(tokens_out);
    for (Py_ssize_t i = 0; i < n; i++) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(stop - p));
        const uint8_t *end = nl == NULL ? stop : nl;
        long long a = 0, b = 0;
        int got = parse_line(p, end, &spec, mimes, nmimes, &totals, &a, &b);
        if (PyErr_Occurred())
            goto error;
        st[i] = (uint8_t)got;
        tin[i] = got == PARSE_DECLINED ? 0 : (uint32_t)a;
        tout[i] = got == PARSE_DECLINED ? 0 : (uint32_t)b;
        p = end + 1;
    }
    if ((by_modality = PyTuple_New(spec.modalities)) == NULL)
        goto error;
    for (Py_ssize_t m = 0; m < spec.modalities; m++) {
        PyObject *count = PyLong_FromLongLong(totals.by_modality[m]);
        if (count == NULL)
            goto error;
        PyTuple_SET_ITEM(by_modality, m, count);
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(NNN(iLLLN))", status, tokens_in, tokens_out, totals.spelling, totals.multimodal,
                         totals.media_tokens, totals.media_unknown, by_modality);
error:
    PyBuffer_Release(&view);
    Py_XDECREF(status);
    Py_XDECREF(tokens_in);
    Py_XDECREF(tokens_out);
    Py_XDECREF(by_modality);
    return NULL;
}

/* --- the key store's records (ops/datasets/keys.py) ----------------------------------------- */

/* A record is a line number (uint32) and its exact and normalized keys (int64), packed in 20 bytes
 * in the machine's byte order: the store is a temporary file read back by the same machine. The
 * top 4 bits of the normalized key choose one of 16 partitions; repeats always share one. */
#define RECORD_BYTES 20
#define PARTITIONS 16
#define PARTITION_SHIFT 60
#define EXACT_KEY 1
#define NORMALIZED_KEY 2

static PyObject *partition_records(PyObject *module, PyObject *args) {
    Py_buffer lines, exact, normalized;
    if (!PyArg_ParseTuple(args, "y*y*y*", &lines, &exact, &normalized))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = lines.len / 4;
    if (lines.len % 4 != 0 || exact.len != n * 8 || normalized.len != n * 8) {
        PyErr_SetString(PyExc_ValueError, "partition_records: lines (uint32) and keys (int64) differ in length");
        goto done;
    }
    const uint8_t *line_bytes = lines.buf, *exact_bytes = exact.buf, *normalized_bytes = normalized.buf;
    Py_ssize_t counts[PARTITIONS] = {0};
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key;
        memcpy(&key, normalized_bytes + i * 8, 8);
        counts[key >> PARTITION_SHIFT]++;
    }
    result = PyTuple_New(PARTITIONS);
    if (result == NULL)
        goto done;
    uint8_t *cursor[PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++) {
        PyObject *records = PyBytes_FromStringAndSize(NULL, counts[p] * RECORD_BYTES);
        if (records == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyTuple_SET_ITEM(result, p, records);
        cursor[p] = (uint8_t *)PyBytes_AS_STRING(records);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key;
        memcpy(&key, normalized_bytes + i * 8, 8);
        uint8_t *out = cursor[key >> PARTITION_SHIFT];
        memcpy(out, line_bytes + i * 4, 4);
        memcpy(out + 4, exact_bytes + i * 8, 8);
        memcpy(out + 12, &key, 8);
        cursor[key >> PARTITION_SHIFT] = out + RECORD_BYTES;
    }
done:
    PyBuffer_Release(&lines);
    PyBuffer_Release(&exact);
    PyBuffer_Release(&normalized);
    return result;
}

/* One partition as the store holds it: each range's records, and what to add to their line numbers
 * (the lines of the ranges before it). */
typedef struct {
    Py_buffer *views;
    long long *offsets;
    Py_ssize_t count, records;
} Segments;

static void release_segments(Segments *s) {
    for (Py_ssize_t i = 0; i < s->count; i++)
        PyBuffer_Release(&s->views[i]);
    PyMem_Free(s->views);
    PyMem_Free(s->offsets);
}

static int get_segments(PyObject *arg, Segments *s) {
    *s = (Segments){0};
    PyObject *seq = PySequence_Fast(arg, "segments: a sequence of (records, line offset) pairs");
    if (seq == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    s->views = PyMem_Calloc((size_t)count + 1, sizeof(Py_buffer));
    s->offsets = PyMem_Calloc((size_t)count + 1, sizeof(long long));
    if (s->views == NULL || s->offsets == NULL) {
        Py_DECREF(seq);
        release_segments(s);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(pair)) {
            Py_DECREF(seq);
            release_segments(s);
            PyErr_SetString(PyExc_TypeError, "segments: a sequence of (records, line offset) tuples");
            return -1;
        }
        if (!PyArg_ParseTuple(pair, "y*L", &s->views[i], &s->offsets[i])) {
            Py_DECREF(seq);
            release_segments(s);
            return -1;
        }
        s->count = i + 1;
        if (s->views[i].len % RECORD_BYTES != 0) {
            Py_DECREF(seq);
            release_segments(s);
            PyErr_SetString(PyExc_ValueError, "segments: records are 20 bytes each");
            return -1;
        }
        s->records += s->views[i].len / RECORD_BYTES;
    }
    Py_DECREF(seq);
    return 0;
}

/* An open-addressing table from a key to the first line that had it. The index is the key times a
 * 64-bit odd constant (Fibonacci hashing), top bits: even keys that share their low bits, which
 * wyhash values do not but crafted ones could, spread over the table instead of probing in a row. */
typedef struct {
    uint64_t key;
    long long line;
    int used;
} Slot;

typedef struct {
    Slot *slots;
    size_t mask;
    int shift;
} Table;

static int table_new(Table *t, Py_ssize_t entries) {
    size_t size = 16;
    int bits = 4;
    while (size < (size_t)entries * 2) {
        size <<= 1;
        bits++;
    }
    t->slots = PyMem_Calloc(size, sizeof(Slot));
    if (t->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    t->mask = size - 1;
    t->shift = 64 - bits;
    return 0;
}

/* The slot of `key`: the one holding it, or the empty one where it belongs. */
static Slot *table_slot(const Table *t, uint64_t key) {
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> t->shift);
    while (t->slots[i].used && t->slots[i].key != key)
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

static void record_at(const Segments *s, Py_ssize_t segment, Py_ssize_t i, int which, uint64_t *key,
                      long long *line) {
    const uint8_t *record = (const uint8_t *)s->views[segment].buf + i * RECORD_BYTES;
    uint32_t local;
    memcpy(&local, record, 4);
    memcpy(key, record + (which == EXACT_KEY ? 4 : 12), 8);
    *line = (long long)local + s->offsets[segment];
}

static int append_pair(PyObject *list, long long line, long long first) {
    PyObject *pair = Py_BuildValue("(LL)", line, first);
    if (pair == NULL)
        return -1;
    int failed = PyList_Append(list, pair);
    Py_DECREF(pair);
    return failed;
}

/* The records of `s` in order against `table`: a key the table lacks is added when `insert`; a key
 * it has adds (line, the table's line for it) to `found`, unless `found` is NULL. */
static int probe(const Segments *s, int which, Table *table, int insert, PyObject *found) {
    for (Py_ssize_t g = 0; g < s->count; g++) {
        for (Py_ssize_t i = 0; i < s->views[g].len / RECORD_BYTES; i++) {
            uint64_t key;
            long long line;
            record_at(s, g, i, which, &key, &line);
            Slot *slot = table_slot(table, key);
            if (!slot->used) {
                if (insert)
                    *slot = (Slot){key, line, 1};
            } else if (found != NULL && append_pair(found, line, slot->line) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

static PyObject *repeats(PyObject *module, PyObject *args) {
    PyObject *arg;
    int which;
    if (!PyArg_ParseTuple(args, "Oi", &arg, &which))
        return NULL;
    if (which != EXACT_KEY && which != NORMALIZED_KEY) {
        PyErr_SetString(PyExc_ValueError, "repeats: key is 1 (exact) or 2 (normalized)");
        return NULL;
    }
    Segments s;
    if (get_segments(arg, &s) < 0)
        return NULL;
    Table table = {0};
    PyObject *result = NULL;
    if (table_new(&table, s.records) < 0)
        goto done;
    if ((result = PyList_New(0)) != NULL && probe(&s, which, &table, 1, result) < 0)
        Py_CLEAR(result);
done:
    PyMem_Free(table.slots);
    release_segments(&s);
    return result;
}

static PyObject *matches(PyObject *module, PyObject *args) {
    PyObject *arg, *reference_arg;
    if (!PyArg_ParseTuple(args, "OO", &arg, &reference_arg))
        return NULL;
    Segments s, reference;
    if (get_segments(arg, &s) < 0)
        return NULL;
    if (get_segments(reference_arg, &reference) < 0) {
        release_segments(&s);
        return NULL;
    }
    Table table = {0};
    PyObject *result = NULL;
    if (table_new(&table, reference.records) < 0)
        goto done;
    probe(&reference, NORMALIZED_KEY, &table, 1, NULL); /* first reference line of each key */
    if ((result = PyList_New(0)) != NULL && probe(&s, NORMALIZED_KEY, &table, 0, result) < 0)
        Py_CLEAR(result);
done:
    PyMem_Free(table.slots);
    release_segments(&s);
    release_segments(&reference);
    return result;
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
    {"gemini_parse", gemini_parse, METH_VARARGS,
     "gemini_parse(block, spec) -> (status, tokens_in, tokens_out, totals): gemini_walk's results\n"
     "read straight from the JSON of each line of a block; status 3 where it declines a line."},
    {"partition_records", partition_records, METH_VARARGS,
     "partition_records(lines, exact, normalized) -> 16 bytes: the 20-byte records (line, exact key,\n"
     "normalized key) of each partition, in input order; the inputs are buffers of uint32 lines and\n"
     "int64 keys, one per example."},
    {"repeats", repeats, METH_VARARGS,
     "repeats(segments, key) -> [(line, first line)]: every record whose key (1 exact, 2 normalized)\n"
     "an earlier record had, in order; segments are (records, line offset) pairs in file order."},
    {"matches", matches, METH_VARARGS,
     "matches(segments, reference) -> [(line, reference line)]: every record whose normalized key is\n"
     "in the reference segments, with the first reference line that has it, in order."},
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
