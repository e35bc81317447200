/*
 * A strict check of one JSON object, for the REPORT hypercall: the tools
 * read a guest's report with a JSON parser that keeps the last of two equal
 * keys and decodes escapes, so a report must be exactly one object with
 * unique, escape-free keys, or a guest could smuggle a second "kind" (or a
 * "\u0065nd") past the hypervisor's reserved-kind check (issue 13 item 5).
 * Pure code: the hosted unit tests drive it directly.
 */
#ifndef PV_JSONCHECK_H
#define PV_JSONCHECK_H

#include <stddef.h>

#define PV_JSON_MAX_DEPTH 8      /* objects/arrays nested deeper are refused */
#define PV_JSON_MAX_KEYS  64     /* keys per object */

enum pv_json_verdict {
    PV_JSON_OK = 0,
    PV_JSON_MALFORMED = -1,      /* not exactly one well-formed object */
    PV_JSON_DUP_KEY = -2,        /* a key twice in one object */
    PV_JSON_ESCAPED_KEY = -3,    /* a backslash inside a key */
    PV_JSON_FORBIDDEN_KEY = -4,  /* a top-level key the caller reserves */
    PV_JSON_NO_KIND = -5,        /* no top-level "kind" string (or escaped) */
    PV_JSON_TOO_DEEP = -6,
    PV_JSON_TOO_MANY_KEYS = -7,
};

/* Checks s[0..len). forbidden: top-level keys that must not appear (NULL-
   terminated list, may be NULL). On PV_JSON_OK, *kind and *kind_len point at
   the top-level "kind" value inside s. */
enum pv_json_verdict pv_json_check_object(const char *s, size_t len,
                                          const char *const *forbidden,
                                          const char **kind, size_t *kind_len);

#endif
