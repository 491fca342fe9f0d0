/* SPDX-License-Identifier: MIT */
/* Process-wide facts read once at load time (see util.h). */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "util.h"
#include "kernel.h"

size_t ww_base_page_size = 4096;

__attribute__((constructor)) static void util_init(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (ps > 0)
		ww_base_page_size = (size_t)ps;
}

int ww_marker_cost_check(size_t len, size_t pagesize)
{
	long phys = ww_k_phys_bytes();
	uint64_t cost = (uint64_t)(len / pagesize) * 8;

	/* Unknown RAM: no bound rather than a wrong one. */
	return phys > 0 && cost > (uint64_t)phys / 4 ? -ENOMEM : 0;
}
