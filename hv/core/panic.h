/*
 * Fatal errors in the hypervisor itself: dump the pCPU, the vCPU it was
 * running and that vCPU's last exit, stop the other pCPUs, end the run as
 * failed.
 */
#ifndef HV_PANIC_H
#define HV_PANIC_H

struct trap_frame;

/* What the layers above add to a panic dump (the vCPU this pCPU ran);
   out is the unlocked console printer. */
typedef void (*panic_dump_fn)(void (*out)(const char *fmt, ...));
void panic_set_dump_hook(panic_dump_fn fn);

void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
void panic_exception(struct trap_frame *f) __attribute__((noreturn));

#endif
