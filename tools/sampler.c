/* SPDX-License-Identifier: MIT */
/* QEMU-style page-sampling dirty-rate estimator (see sampler.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "sampler.h"

#define GiB (1ULL << 30)

int sampler_init(struct sampler *sp, pid_t pid, size_t page, uint64_t seed)
{
	memset(sp, 0, sizeof(*sp));
	sp->pid = pid;
	sp->page = page;
	sp->seed = seed ? seed : 0x9e3779b97f4a7c15ULL;
	sp->buf = malloc(page);
	return sp->buf ? 0 : -ENOMEM;
}

void sampler_free(struct sampler *sp)
{
	free(sp->addr);
	free(sp->hash);
	free(sp->buf);
	memset(sp, 0, sizeof(*sp));
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* FNV-1a over the page at addr in the target; a page that cannot be read hashes as 0. */
static uint64_t hash_page(struct sampler *sp, uint64_t addr)
{
	struct iovec local = { sp->buf, sp->page }, remote = { (void *)(uintptr_t)addr, sp->page };
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	if (process_vm_readv(sp->pid, &local, 1, &remote, 1, 0) != (ssize_t)sp->page)
		return 0;
	for (i = 0; i < sp->page; i++)
		h = (h ^ (unsigned char)sp->buf[i]) * 0x100000001b3ULL;
	return h | 1;   /* never 0: 0 is "unreadable" */
}

/* How many samples mapping m gets: per_gib a GiB, rounded down, at least one. */
static size_t samples_of(const struct tool_map *m, size_t page, unsigned per_gib)
{
	uint64_t len = m->end - m->start, n = len * per_gib / GiB;

	if (n < 1)
		n = 1;
	return n > len / page ? len / page : n;
}

int sampler_start(struct sampler *sp, const struct tool_maps *m, unsigned per_gib)
{
	size_t i, k, n = 0;

	for (i = 0; i < m->n; i++)
		if (m->v[i].perms[1] == 'w')
			n += samples_of(&m->v[i], sp->page, per_gib);
	free(sp->addr);
	free(sp->hash);
	sp->addr = malloc((n + 1) * sizeof(uint64_t));
	sp->hash = malloc((n + 1) * sizeof(uint64_t));
	if (!sp->addr || !sp->hash)
		return -ENOMEM;
	sp->n = 0;
	sp->total_pages = 0;
	for (i = 0; i < m->n; i++) {
		const struct tool_map *v = &m->v[i];
		uint64_t pages = (v->end - v->start) / sp->page;

		if (v->perms[1] != 'w')
			continue;
		sp->total_pages += pages;
		for (k = samples_of(v, sp->page, per_gib); k; k--)
			sp->addr[sp->n++] = v->start + next_rand(&sp->seed) % pages * sp->page;
	}
	for (i = 0; i < sp->n; i++)
		sp->hash[i] = hash_page(sp, sp->addr[i]);
	return 0;
}

int sampler_end(struct sampler *sp, double *pages)
{
	size_t i, changed = 0;

	for (i = 0; i < sp->n; i++)
		changed += hash_page(sp, sp->addr[i]) != sp->hash[i];
	*pages = sp->n ? (double)changed / (double)sp->n * (double)sp->total_pages : 0;
	return 0;
}
