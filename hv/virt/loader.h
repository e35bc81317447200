/*
 * Loads the guest kernel ELF into a VM's memory the way a multiboot loader
 * would, and writes the boot-info page vCPU0 finds in EBX.
 */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include <stdint.h>

struct vm;

/* Returns 0, or -1 with the reason in err. */
int loader_load_guest(struct vm *vm, const void *elf, uint64_t size,
                      const char *cmdline, char *err, unsigned errlen);

#endif
