/*
 * The records pvhv prints around a VM's own ones (`run` first, `vm` and
 * `end` last), printed by the guest itself when it runs natively, so the
 * tools judge native and virtualized runs the same way. Also the `guest`
 * record both modes print: which pv features were in use, how many
 * hypercalls were issued.
 */
#ifndef GUEST_RECORDS_H
#define GUEST_RECORDS_H

/* Native only, vCPU0, once the configuration is read: the `run` record. */
void records_run(void);
/* Native only, once per run (later callers park): `run` (with "config":
   null) if it was not printed yet, then `vm` and `end`. code 0 = pass. */
void records_finish(unsigned code, const char *why);
/* vCPU0 after the last task, both modes. */
void records_guest(void);

#endif
