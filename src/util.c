/* SPDX-License-Identifier: MIT */
/* Process-wide facts read once at load time (see util.h). */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "util.h"

size_t ww_base_page_size = 4096;

__attribute__((constructor)) static void util_init(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (ps > 0)
		ww_base_page_size = (size_t)ps;
}

int ww_marker_cost_check(size_t len, size_t pagesize)
{
	long phys = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
	uint64_t cost = (uint64_t)(len / pagesize) * 8;

	/* Unknown RAM: no bound rather than a wrong one. */
	if (phys <= 0 || ps <= 0)
		return 0;
	return cost > (uint64_t)phys * (uint64_t)ps / 4 ? -ENOMEM : 0;
}
