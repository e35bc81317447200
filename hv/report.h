/*
 * The end-of-run report: the run record at the start, the human tables and
 * @pvhv records at the end, and the verdict.
 */
#ifndef HV_REPORT_H
#define HV_REPORT_H

struct cfg;

/* cfg may be NULL when the command line could not be parsed. */
void report_run_record(const struct cfg *cfg, const char *cmdline, const char *backend,
                       const char *loader);
void report_error(const char *key, const char *value, const char *message);
void report_and_finish(void) __attribute__((noreturn));

#endif
