/*
 * The @pvhv line builder. Strings are escaped so a guest- or user-supplied
 * value (a command-line word, a kill reason) cannot break the line's JSON.
 */
#include "json.h"

#include "console.h"
#include "fmt.h"
#include "pvstring.h"

static void put(struct json *j, const char *s, unsigned n)
{
    if (j->len + n + 2 >= JSON_MAX) {   /* keep room for the closing brace */
        j->overflow = 1;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void puts_(struct json *j, const char *s) { put(j, s, (unsigned)strlen(s)); }

static void key(struct json *j, const char *k)
{
    if (j->need_comma)
        put(j, ",", 1);
    put(j, "\"", 1);
    puts_(j, k);
    put(j, "\":", 2);
    j->need_comma = 1;
}

static void quoted(struct json *j, const char *s)
{
    put(j, "\"", 1);
    for (; *s; s++) {
        char c = *s;
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', c };
            put(j, e, 2);
        } else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7F) {
            char e[8];
            int n = pv_snprintf(e, sizeof(e), "\\u%04x", (unsigned char)c);
            put(j, e, (unsigned)n);
        } else {
            put(j, &c, 1);
        }
    }
    put(j, "\"", 1);
}

void json_begin(struct json *j, const char *kind)
{
    j->len = 0;
    j->need_comma = 0;
    j->overflow = 0;
    put(j, "{", 1);
    json_str(j, "kind", kind);
}

void json_u64(struct json *j, const char *k, uint64_t v)
{
    char t[24];
    key(j, k);
    put(j, t, (unsigned)pv_snprintf(t, sizeof(t), "%lu", v));
}

void json_i64(struct json *j, const char *k, int64_t v)
{
    char t[24];
    key(j, k);
    put(j, t, (unsigned)pv_snprintf(t, sizeof(t), "%ld", v));
}

void json_str(struct json *j, const char *k, const char *v)
{
    key(j, k);
    quoted(j, v ? v : "");
}

void json_raw(struct json *j, const char *k, const char *raw)
{
    key(j, k);
    puts_(j, raw);
}

void json_bool(struct json *j, const char *k, int v)
{
    key(j, k);
    puts_(j, v ? "true" : "false");
}

void json_null(struct json *j, const char *k)
{
    key(j, k);
    puts_(j, "null");
}

void json_obj_begin(struct json *j, const char *k)
{
    key(j, k);
    put(j, "{", 1);
    j->need_comma = 0;
}

void json_obj_end(struct json *j)
{
    put(j, "}", 1);
    j->need_comma = 1;
}

void json_arr_begin(struct json *j, const char *k)
{
    key(j, k);
    put(j, "[", 1);
    j->need_comma = 0;
}

void json_arr_str(struct json *j, const char *v)
{
    if (j->need_comma)
        put(j, ",", 1);
    quoted(j, v ? v : "");
    j->need_comma = 1;
}

void json_arr_end(struct json *j)
{
    put(j, "]", 1);
    j->need_comma = 1;
}

void json_emit(struct json *j)
{
    if (j->overflow) {
        hv_printf(JSON_PREFIX "{\"kind\":\"error\",\"key\":\"report\","
                  "\"message\":\"a %s record exceeded %u bytes and was dropped\"}\n",
                  "statistics", JSON_MAX);
        return;
    }
    j->buf[j->len] = '}';
    j->buf[j->len + 1] = '\0';
    hv_printf(JSON_PREFIX "%s\n", j->buf);
}
