/*
 * Builder for the @pvhv JSON lines (DESIGN §9): one object per line behind
 * a fixed prefix, so tools parse the statistics without guessing. A record
 * that outgrows its buffer is reported as truncated, never silently cut.
 */
#ifndef HV_JSON_H
#define HV_JSON_H

#include <stdint.h>

#define JSON_MAX 4096
#define JSON_PREFIX "@pvhv "

struct json {
    char buf[JSON_MAX];
    unsigned len;
    int need_comma;
    int overflow;
};

void json_begin(struct json *j, const char *kind);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_str(struct json *j, const char *key, const char *v);
void json_raw(struct json *j, const char *key, const char *raw_json);
void json_bool(struct json *j, const char *key, int v);
void json_null(struct json *j, const char *key);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
/* An array of strings: begin, any number of elements, end. */
void json_arr_begin(struct json *j, const char *key);
void json_arr_str(struct json *j, const char *v);
void json_arr_end(struct json *j);
void json_emit(struct json *j);     /* closes the object and prints the line */

#endif
