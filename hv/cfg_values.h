/*
 * The value grammar of the command line (hv/cfg.c): word lists, sizes with
 * K/M/G suffixes, the task list and crash=VM:kind. Pure functions of their
 * text, so the option table's file keeps to the table and its checks.
 */
#ifndef HV_CFG_VALUES_H
#define HV_CFG_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

/* Is v one of the '|'-separated words? */
int cfg_word_in(const char *v, const char *words);
/* A ','-separated list of such words, each at most once. */
int cfg_words_in(const char *v, const char *words);
/* Its position in the list (v must be one of them). */
int cfg_word_index(const char *v, const char *words);
/* The n-th word of the list, into buf. */
void cfg_nth_word(const char *words, int n, char *buf, size_t len);
/* Bytes, with an optional K/M/G suffix; -1 if malformed or too large. */
int cfg_parse_size(const char *v, uint64_t *out);
/* task=: sets c->tasks and c->task; -1 for an unknown, empty or repeated task. */
int cfg_parse_tasks(const char *v, struct cfg *c);
/* crash=none|VM:triple|VM:npf: sets c->crash and c->crash_vm. */
int cfg_parse_crash(const char *v, struct cfg *c);

#endif
