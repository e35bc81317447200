/*
 * Mutant of pvtlb.pml: the request slot as it was before issue 17, one
 * shared pending mask that each handler clears after flushing, now with the
 * hand-over of preempted targets. A handed-over target whose handler had
 * already read the old range clears its bit of the sender's next request
 * without flushing that one: spin must find the stale translation.
 */
#define SHARED_MASK
#include "pvtlb.pml"
