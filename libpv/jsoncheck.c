/*
 * Recursive-descent JSON checker (RFC 8259 grammar, no NaN/Infinity), with
 * a bounded depth so a guest cannot make the hypervisor recurse without
 * end. It only judges; it builds nothing.
 */
#include "jsoncheck.h"

#include "pvstring.h"

struct cur {
    const char *s, *end;
    int depth;
};

struct span {
    const char *p;
    size_t n;
};

static void ws(struct cur *c)
{
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\n' || *c->s == '\r'))
        c->s++;
}

static int is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* A string at c->s; its contents (without quotes) in *out; *escaped set if
   it held a backslash. */
static int string(struct cur *c, struct span *out, int *escaped)
{
    if (c->s >= c->end || *c->s != '"')
        return PV_JSON_MALFORMED;
    const char *start = ++c->s;
    *escaped = 0;
    while (c->s < c->end) {
        unsigned char ch = (unsigned char)*c->s;
        if (ch == '"') {
            out->p = start;
            out->n = (size_t)(c->s - start);
            c->s++;
            return PV_JSON_OK;
        }
        if (ch < 0x20)
            return PV_JSON_MALFORMED;
        if (ch == '\\') {
            *escaped = 1;
            if (++c->s >= c->end)
                return PV_JSON_MALFORMED;
            char e = *c->s;
            if (e == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (c->s + i >= c->end || !is_hex(c->s[i]))
                        return PV_JSON_MALFORMED;
                c->s += 4;
            } else if (!(e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' ||
                         e == 'n' || e == 'r' || e == 't')) {
                return PV_JSON_MALFORMED;
            }
        }
        c->s++;
    }
    return PV_JSON_MALFORMED;
}

static int digits(struct cur *c)
{
    const char *from = c->s;
    while (c->s < c->end && *c->s >= '0' && *c->s <= '9')
        c->s++;
    return c->s > from;
}

static int number(struct cur *c)
{
    if (c->s < c->end && *c->s == '-')
        c->s++;
    if (c->s < c->end && *c->s == '0')
        c->s++;
    else if (!digits(c))
        return PV_JSON_MALFORMED;
    if (c->s < c->end && *c->s == '.') {
        c->s++;
        if (!digits(c))
            return PV_JSON_MALFORMED;
    }
    if (c->s < c->end && (*c->s == 'e' || *c->s == 'E')) {
        c->s++;
        if (c->s < c->end && (*c->s == '+' || *c->s == '-'))
            c->s++;
        if (!digits(c))
            return PV_JSON_MALFORMED;
    }
    return PV_JSON_OK;
}

static int literal(struct cur *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->s) < n || strncmp(c->s, word, n))
        return PV_JSON_MALFORMED;
    c->s += n;
    return PV_JSON_OK;
}

static int object(struct cur *c, const char *const *forbidden, struct span *kind);

static int value(struct cur *c)
{
    struct span sp;
    int esc;
    if (c->s >= c->end)
        return PV_JSON_MALFORMED;
    switch (*c->s) {
    case '{':
        return object(c, 0, 0);
    case '[': {
        if (++c->depth > PV_JSON_MAX_DEPTH)
            return PV_JSON_TOO_DEEP;
        c->s++;
        ws(c);
        if (c->s < c->end && *c->s == ']') {
            c->s++;
            c->depth--;
            return PV_JSON_OK;
        }
        for (;;) {
            ws(c);
            int r = value(c);
            if (r)
                return r;
            ws(c);
            if (c->s < c->end && *c->s == ',') {
                c->s++;
                continue;
            }
            if (c->s < c->end && *c->s == ']') {
                c->s++;
                c->depth--;
                return PV_JSON_OK;
            }
            return PV_JSON_MALFORMED;
        }
    }
    case '"':
        return string(c, &sp, &esc);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    default:
        return number(c);
    }
}

static int key_in(const struct span *k, const char *const *list)
{
    for (; list && *list; list++)
        if (strlen(*list) == k->n && !strncmp(*list, k->p, k->n))
            return 1;
    return 0;
}

/* kind != NULL only at the top level: there "kind" must be a plain string
   and `forbidden` keys are refused. */
static int object(struct cur *c, const char *const *forbidden, struct span *kind)
{
    struct span keys[PV_JSON_MAX_KEYS];
    unsigned nkeys = 0;

    if (++c->depth > PV_JSON_MAX_DEPTH)
        return PV_JSON_TOO_DEEP;
    c->s++;                                     /* '{' */
    ws(c);
    if (c->s < c->end && *c->s == '}') {
        c->s++;
        c->depth--;
        return PV_JSON_OK;
    }
    for (;;) {
        struct span k;
        int esc, r;
        ws(c);
        if ((r = string(c, &k, &esc)))
            return r;
        if (esc)
            return PV_JSON_ESCAPED_KEY;
        for (unsigned i = 0; i < nkeys; i++)
            if (keys[i].n == k.n && !strncmp(keys[i].p, k.p, k.n))
                return PV_JSON_DUP_KEY;
        if (nkeys == PV_JSON_MAX_KEYS)
            return PV_JSON_TOO_MANY_KEYS;
        keys[nkeys++] = k;
        if (kind && key_in(&k, forbidden))
            return PV_JSON_FORBIDDEN_KEY;
        ws(c);
        if (c->s >= c->end || *c->s != ':')
            return PV_JSON_MALFORMED;
        c->s++;
        ws(c);
        if (kind && k.n == 4 && !strncmp(k.p, "kind", 4)) {
            if ((r = string(c, kind, &esc)))
                return r == PV_JSON_MALFORMED && c->s < c->end ? PV_JSON_NO_KIND : r;
            if (esc || kind->n == 0)
                return PV_JSON_NO_KIND;
        } else if ((r = value(c))) {
            return r;
        }
        ws(c);
        if (c->s < c->end && *c->s == ',') {
            c->s++;
            continue;
        }
        if (c->s < c->end && *c->s == '}') {
            c->s++;
            c->depth--;
            return PV_JSON_OK;
        }
        return PV_JSON_MALFORMED;
    }
}

enum pv_json_verdict pv_json_check_object(const char *s, size_t len,
                                          const char *const *forbidden,
                                          const char **kind, size_t *kind_len)
{
    struct cur c = { s, s + len, 0 };
    struct span k = { 0, 0 };

    ws(&c);
    if (c.s >= c.end || *c.s != '{')
        return PV_JSON_MALFORMED;
    int r = object(&c, forbidden, &k);
    if (r)
        return (enum pv_json_verdict)r;
    ws(&c);
    if (c.s != c.end)
        return PV_JSON_MALFORMED;              /* a second object, or junk */
    if (!k.p)
        return PV_JSON_NO_KIND;
    if (kind)
        *kind = k.p;
    if (kind_len)
        *kind_len = k.n;
    return PV_JSON_OK;
}
