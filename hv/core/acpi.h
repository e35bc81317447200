/*
 * ACPI: just enough to list the CPUs (MADT local APIC entries).
 */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include <stdint.h>

/* Fills apic_ids with the enabled processors' APIC IDs (BSP included).
   Returns the count, or -1 with a reason in err. */
int acpi_find_cpus(uint64_t rsdp_hint, uint32_t *apic_ids, unsigned max,
                   char *err, unsigned errlen);

#endif
