/*
 * Defaults and limits of the guest-task options, written once for the
 * hypervisor's option table (hv/cfg.c) and the guest's own fallbacks (a
 * guest booted without pvhv, or with a key missing, reads these). The
 * hypervisor always hands the guest every key, so in a pvhv run the
 * guest's values are the run record's.
 */
#ifndef PV_OPTIONS_H
#define PV_OPTIONS_H

#define PV_OPT_STR_(x) #x
#define PV_OPT_STR(x) PV_OPT_STR_(x)   /* a default as it would be typed */

#define PV_OPT_SPIN_THRESHOLD   32768   /* pvticket/pvqspin spins before halting */
#define PV_OPT_LOCKS            1
#define PV_OPT_LOCKS_MAX        64
#define PV_OPT_CS               200
#define PV_OPT_THINK            200
#define PV_OPT_DURATION_MS      2000
#define PV_OPT_DURATION_MAX_MS  3600000
#define PV_OPT_OPS              0
#define PV_OPT_SEED             1
#define PV_OPT_TLB_PAGES        8
#define PV_OPT_TLB_WRITERS      1
#define PV_OPT_TLB_WRITERS_MAX  63      /* at least one vCPU reads */

#endif
