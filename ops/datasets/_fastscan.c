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
    if (ATTR_TEXT == NULL || ATTR_PARTS == NULL || ATTR_ROLE == NULL)
        return NULL;
    return PyModule_Create(&module_def);
}
