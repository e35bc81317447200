/*
 * Structured results: one JSON object per call. Under pvhv it goes through
 * PV_HC_REPORT (the hypervisor adds "vm" and "vcpu" and prints the @pvhv
 * line); natively the guest prints the same line itself.
 */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include <stddef.h>

/* json: one object starting with {"kind":" and shorter than PV_REPORT_MAX,
   no newline. Returns 0, or -1 after printing why it was not sent. */
int report_json(const char *json, size_t len);

#endif
