/*
 * A small JSON reader for the C test suite: it reads the tests/vectors JSON files as they are (no
 * conversion, no copy) and compares JSON values structurally (object key order free).
 * Strings keep their length (they may contain NUL through \u0000). Numbers keep their text.
 * Test code only: it aborts on malformed input.
 */
#ifndef LS_AUTH_TEST_JSON_H
#define LS_AUTH_TEST_JSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
  jtype t;
  int b;             /* J_BOOL */
  char *s;           /* J_STR: decoded bytes, NUL-terminated; J_NUM: the number's text */
  size_t len;        /* J_STR/J_NUM: length of s */
  struct jval *items; /* J_ARR, J_OBJ: values */
  struct jval *keys;  /* J_OBJ: keys (J_STR) */
  size_t n;          /* J_ARR, J_OBJ: count */
} jval;

typedef struct {
  const char *p, *end;
} jparser;

static inline void j_die(const char *why, const jparser *ps) {
  fprintf(stderr, "json: %s near offset '%.20s'\n", why, ps->p < ps->end ? ps->p : "<end>");
  abort();
}

static inline void j_ws(jparser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static inline void j_put_utf8(char **out, size_t *len, size_t *cap, unsigned long cp) {
  if (*len + 5 > *cap) {
    *cap = *cap * 2 + 16;
    *out = (char *)realloc(*out, *cap);
    if (!*out) abort();
  }
  char *o = *out + *len;
  if (cp < 0x80) {
    o[0] = (char)cp;
    *len += 1;
  } else if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    *len += 2;
  } else if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    *len += 3;
  } else {
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    *len += 4;
  }
}

static inline unsigned long j_hex4(jparser *ps) {
  unsigned long v = 0;
  for (int i = 0; i < 4; i++) {
    if (ps->p >= ps->end) j_die("short \\u escape", ps);
    char c = *ps->p++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned long)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned long)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned long)(c - 'A' + 10);
    else j_die("bad \\u escape", ps);
  }
  return v;
}

static inline void j_string(jparser *ps, jval *v) {
  size_t cap = 16, len = 0;
  memset(v, 0, sizeof *v);
  char *out = (char *)malloc(cap);
  if (!out) abort();
  ps->p++; /* opening quote */
  for (;;) {
    if (ps->p >= ps->end) j_die("unterminated string", ps);
    unsigned char c = (unsigned char)*ps->p++;
    if (c == '"') break;
    if (c == '\\') {
      if (ps->p >= ps->end) j_die("bad escape", ps);
      char e = *ps->p++;
      unsigned long cp;
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
          cp = j_hex4(ps);
          if (cp >= 0xD800 && cp < 0xDC00 && ps->p + 6 <= ps->end && ps->p[0] == '\\' && ps->p[1] == 'u') {
            jparser save = *ps;
            ps->p += 2;
            unsigned long lo = j_hex4(ps);
            if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            else *ps = save; /* a lone surrogate stays as is (WTF-8) */
          }
          break;
        default: j_die("bad escape", ps); cp = 0;
      }
      j_put_utf8(&out, &len, &cap, cp);
    } else {
      if (len + 2 > cap) {
        cap = cap * 2;
        out = (char *)realloc(out, cap);
        if (!out) abort();
      }
      out[len++] = (char)c;
    }
  }
  out[len] = '\0';
  v->t = J_STR;
  v->s = out;
  v->len = len;
}

static inline void j_value(jparser *ps, jval *v);

static inline void j_push(jval **items, size_t n, size_t *cap) {
  if (n == *cap) {
    *cap = *cap * 2 + 4;
    *items = (jval *)realloc(*items, *cap * sizeof(jval));
    if (!*items) abort();
  }
}

static inline void j_value(jparser *ps, jval *v) {
  memset(v, 0, sizeof *v);
  j_ws(ps);
  if (ps->p >= ps->end) j_die("unexpected end", ps);
  char c = *ps->p;
  if (c == '"') {
    j_string(ps, v);
  } else if (c == '{' || c == '[') {
    int obj = c == '{';
    size_t cap = 0, kcap = 0;
    v->t = obj ? J_OBJ : J_ARR;
    ps->p++;
    j_ws(ps);
    if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
      ps->p++;
      return;
    }
    for (;;) {
      if (obj) {
        j_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') j_die("expected key", ps);
        j_push(&v->keys, v->n, &kcap);
        j_string(ps, &v->keys[v->n]);
        j_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') j_die("expected ':'", ps);
        ps->p++;
      }
      j_push(&v->items, v->n, &cap);
      j_value(ps, &v->items[v->n]);
      v->n++;
      j_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        ps->p++;
        return;
      }
      j_die("expected ',' or end of container", ps);
    }
  } else if (!strncmp(ps->p, "true", 4)) {
    v->t = J_BOOL, v->b = 1, ps->p += 4;
  } else if (!strncmp(ps->p, "false", 5)) {
    v->t = J_BOOL, v->b = 0, ps->p += 5;
  } else if (!strncmp(ps->p, "null", 4)) {
    v->t = J_NULL, ps->p += 4;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    const char *start = ps->p;
    while (ps->p < ps->end && strchr("+-0123456789.eE", *ps->p)) ps->p++;
    v->t = J_NUM;
    v->len = (size_t)(ps->p - start);
    v->s = (char *)malloc(v->len + 1);
    if (!v->s) abort();
    memcpy(v->s, start, v->len);
    v->s[v->len] = '\0';
  } else {
    j_die("unexpected character", ps);
  }
}

/* Parses len bytes of JSON; aborts on malformed input. Free with j_free. */
static inline jval j_parse(const char *text, size_t len) {
  jparser ps = {text, text + len};
  jval v;
  j_value(&ps, &v);
  j_ws(&ps);
  if (ps.p != ps.end) j_die("trailing bytes", &ps);
  return v;
}

static inline void j_free(jval *v) {
  free(v->s);
  for (size_t i = 0; i < v->n; i++) {
    j_free(&v->items[i]);
    if (v->t == J_OBJ) j_free(&v->keys[i]);
  }
  free(v->items);
  free(v->keys);
}

/* The member named key of an object, or NULL. */
static inline const jval *j_get(const jval *obj, const char *key) {
  if (!obj || obj->t != J_OBJ) return NULL;
  size_t kl = strlen(key);
  for (size_t i = 0; i < obj->n; i++)
    if (obj->keys[i].len == kl && !memcmp(obj->keys[i].s, key, kl)) return &obj->items[i];
  return NULL;
}

static inline int j_is_int(const jval *v) { return v->t == J_NUM && !strpbrk(v->s, ".eE"); }

/* Structural equality; object members compared by name, in any order. */
static inline int j_equal(const jval *a, const jval *b) {
  if (a->t != b->t) return 0;
  switch (a->t) {
    case J_NULL: return 1;
    case J_BOOL: return a->b == b->b;
    case J_NUM:
      if (j_is_int(a) && j_is_int(b)) return strtoll(a->s, NULL, 10) == strtoll(b->s, NULL, 10);
      return strtod(a->s, NULL) == strtod(b->s, NULL);
    case J_STR: return a->len == b->len && !memcmp(a->s, b->s, a->len);
    case J_ARR:
      if (a->n != b->n) return 0;
      for (size_t i = 0; i < a->n; i++)
        if (!j_equal(&a->items[i], &b->items[i])) return 0;
      return 1;
    case J_OBJ:
      if (a->n != b->n) return 0;
      for (size_t i = 0; i < a->n; i++) {
        int found = 0;
        for (size_t k = 0; k < b->n; k++) {
          if (a->keys[i].len == b->keys[k].len && !memcmp(a->keys[i].s, b->keys[k].s, a->keys[i].len)) {
            if (!j_equal(&a->items[i], &b->items[k])) return 0;
            found = 1;
            break;
          }
        }
        if (!found) return 0;
      }
      return 1;
  }
  return 0;
}

/* A growable byte buffer for writing JSON back out. */
typedef struct {
  char *p;
  size_t len, cap;
} jbuf;

static inline void jb_put(jbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = (char *)realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static inline void j_write_str(jbuf *b, const char *s, size_t n) {
  jb_put(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      jb_put(b, e, 2);
    } else if (c < 0x20) {
      char e[8];
      snprintf(e, sizeof e, "\\u%04x", c);
      jb_put(b, e, 6);
    } else {
      jb_put(b, (const char *)&s[i], 1);
    }
  }
  jb_put(b, "\"", 1);
}

/* Writes v as JSON, keeping object order and number text. */
static inline void j_write(jbuf *b, const jval *v) {
  switch (v->t) {
    case J_NULL: jb_put(b, "null", 4); break;
    case J_BOOL: v->b ? jb_put(b, "true", 4) : jb_put(b, "false", 5); break;
    case J_NUM: jb_put(b, v->s, v->len); break;
    case J_STR: j_write_str(b, v->s, v->len); break;
    case J_ARR:
    case J_OBJ:
      jb_put(b, v->t == J_OBJ ? "{" : "[", 1);
      for (size_t i = 0; i < v->n; i++) {
        if (i) jb_put(b, ",", 1);
        if (v->t == J_OBJ) {
          j_write_str(b, v->keys[i].s, v->keys[i].len);
          jb_put(b, ":", 1);
        }
        j_write(b, &v->items[i]);
      }
      jb_put(b, v->t == J_OBJ ? "}" : "]", 1);
      break;
  }
}

/* Reads a whole file; aborts on failure. */
static inline char *j_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    abort();
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = (char *)malloc(cap);
  if (!buf) abort();
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      cap *= 2;
      buf = (char *)realloc(buf, cap);
      if (!buf) abort();
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

#endif
