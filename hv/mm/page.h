/*
 * Zeroed pages for the hypervisor's own tables (NPT/EPT, VMCBs, bitmaps).
 * Physical == virtual below 4 GiB, so an address is usable at once.
 */
#ifndef HV_PAGE_H
#define HV_PAGE_H

#include <stdint.h>

void *page_alloc_zeroed(void);                 /* panics when memory is gone */
void *pages_alloc_zeroed(uint64_t count);      /* contiguous */

#endif
