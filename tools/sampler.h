/* SPDX-License-Identifier: MIT */
/*
 * A dirty-rate estimator written the way QEMU's calc-dirty-rate works in
 * its page-sampling mode, for comparison with writewatch's exact figures:
 * at the start of an interval pick N random pages per GiB of every
 * writable mapping and hash their contents; at the end hash them again;
 * the share of samples that changed, times the size of the memory, is the
 * estimate of what was written.  It cannot see a write that leaves a page
 * as it was, and its error grows as the written share shrinks.
 */
#ifndef WW_TOOL_SAMPLER_H
#define WW_TOOL_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps.h"

struct sampler {
	pid_t pid;
	size_t page;
	size_t n;                       /* samples */
	uint64_t *addr, *hash;
	uint64_t total_pages;           /* pages of the writable mappings sampled from */
	uint64_t seed;
	char *buf;                      /* one page */
};

int sampler_init(struct sampler *sp, pid_t pid, size_t page, uint64_t seed);
void sampler_free(struct sampler *sp);
/* Pick per_gib pages per GiB (at least one per mapping) and hash them: 0 or -errno. */
int sampler_start(struct sampler *sp, const struct tool_maps *m, unsigned per_gib);
/* Hash again: the estimated pages written since sampler_start (a page gone counts as changed). */
int sampler_end(struct sampler *sp, double *pages);

#endif /* WW_TOOL_SAMPLER_H */
