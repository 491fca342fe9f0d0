/* SPDX-License-Identifier: MIT */
/* Process-wide facts read once at load time (see util.h). */
#include <unistd.h>

#include "util.h"

size_t ww_base_page_size = 4096;

__attribute__((constructor)) static void util_init(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (ps > 0)
		ww_base_page_size = (size_t)ps;
}
