/*
 * Host NMI accounting and the nmi_test= sender (see nmi.c).
 */
#ifndef HV_NMI_H
#define HV_NMI_H

extern int nmi_test;           /* nmi_test=on */

void nmi_taken(void);          /* from the host's vector-2 handler */
void nmi_test_tick(void);      /* pCPU 0, at a slice end */
void nmi_test_settle(void);    /* before the report: let NMIs in flight land */

#endif
