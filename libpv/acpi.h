/*
 * ACPI: just enough to list the CPUs (MADT local APIC entries). Shared by
 * the hypervisor (its pCPUs) and the guest booted natively (its CPUs); the
 * caller says how a physical address becomes a pointer, because the guest
 * maps less of the machine than the hypervisor does.
 */
#ifndef PV_ACPI_H
#define PV_ACPI_H

#include <stdint.h>

/* Returns a pointer through which [pa, pa + len) can be read, or NULL when
   the caller cannot reach that range. NULL as the function: identity. */
typedef const void *(*acpi_map_fn)(uint64_t pa, uint64_t len);

/* Fills apic_ids with the enabled processors' APIC IDs (BSP included), in
   MADT order. Returns the count, or -1 with a reason in err. */
int acpi_find_cpus(uint64_t rsdp_hint, acpi_map_fn map, uint32_t *apic_ids,
                   unsigned max, char *err, unsigned errlen);

#endif
