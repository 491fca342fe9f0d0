/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer under threads: several threads each keep many write-watched
 * allocations (some reserved and committed piecewise, some plain) and
 * allocate, write, protect, decommit, query and release them concurrently;
 * every GetWriteWatch answer must match the thread's own record of what it
 * wrote, exactly.  The record follows Windows: a decommit forgets a page's
 * write unless a protection change over the page came after the write.
 */
#include <pthread.h>

#include "win32_tt.h"

#define THREADS 4
#define ALLOCS 24       /* live allocations per thread */
#define ROUNDS 60
#define MAXP 32         /* pages per allocation, at most */

struct slot {
	char *base;
	size_t np;
	int watched;
	unsigned char written[MAXP];    /* reported by GetWriteWatch */
	unsigned char kept[MAXP];       /* written, then protected: survives a decommit */
	unsigned char committed[MAXP];
	unsigned char rdonly[MAXP];
};

static void slot_new(struct slot *s, unsigned long long *rng)
{
	DWORD type = MEM_RESERVE | MEM_COMMIT;

	s->np = 1 + tt_rand(rng) % MAXP;
	s->watched = tt_rand(rng) % 4 != 0;
	if (s->watched)
		type |= MEM_WRITE_WATCH;
	memset(s->written, 0, sizeof(s->written));
	memset(s->kept, 0, sizeof(s->kept));
	memset(s->rdonly, 0, sizeof(s->rdonly));
	if (tt_rand(rng) % 3 == 0) {
		/* Reserve, then commit every other page. */
		size_t i;

		s->base = wt_alloc(NULL, s->np * WPG, type & ~MEM_COMMIT, PAGE_NOACCESS);
		for (i = 0; i < s->np; i++) {
			s->committed[i] = i % 2 == 0;
			if (s->committed[i])
				tt_check(VirtualAlloc(s->base + i * WPG, WPG, MEM_COMMIT,
						      PAGE_READWRITE) == s->base + i * WPG,
					 "commit: %u", (unsigned)GetLastError());
		}
	} else {
		s->base = wt_alloc(NULL, s->np * WPG, type, PAGE_READWRITE);
		memset(s->committed, 1, sizeof(s->committed));
	}
}

static void slot_check(struct slot *s, unsigned long long *rng)
{
	void *res[MAXP], *want[MAXP];
	size_t n = 0, i;
	ULONG_PTR count = 1 + tt_rand(rng) % MAXP;
	ULONG gran;
	DWORD flags = tt_rand(rng) % 2 ? WRITE_WATCH_FLAG_RESET : 0;

	if (!s->watched) {
		tt_check(GetWriteWatch(0, s->base, s->np * WPG, res, &count, &gran) == ~0u &&
			 GetLastError() == ERROR_INVALID_PARAMETER, "plain allocation accepted");
		return;
	}
	for (i = 0; i < s->np; i++)
		if (s->written[i])
			want[n++] = s->base + i * WPG;
	if (n > count)
		n = count;
	wt_ok(GetWriteWatch(flags, s->base, s->np * WPG, res, &count, &gran));
	tt_check(count == n, "%zu pages reported, want %zu", (size_t)count, n);
	for (i = 0; i < n; i++) {
		tt_check(res[i] == want[i], "result %zu: %p, want %p", i, res[i], want[i]);
		if (flags)
			s->written[((char *)res[i] - s->base) / WPG] =
				s->kept[((char *)res[i] - s->base) / WPG] = 0;
	}
}

static void slot_mutate(struct slot *s, unsigned long long *rng)
{
	size_t i = tt_rand(rng) % s->np, k;
	DWORD old;

	switch (tt_rand(rng) % 8) {
	case 0:         /* protection flip */
		if (!s->committed[i])
			return;
		tt_check(VirtualProtect(s->base + i * WPG, WPG,
					s->rdonly[i] ? PAGE_READWRITE : PAGE_READONLY, &old),
			 "protect: %u", (unsigned)GetLastError());
		s->rdonly[i] = !s->rdonly[i];
		s->kept[i] |= s->written[i];
		return;
	case 1:         /* decommit / recommit */
		if (s->committed[i]) {
			tt_check(VirtualFree(s->base + i * WPG, WPG, MEM_DECOMMIT), "decommit");
			s->written[i] = s->kept[i];
		} else {
			tt_check(VirtualAlloc(s->base + i * WPG, WPG, MEM_COMMIT, PAGE_READWRITE),
				 "recommit");
			s->rdonly[i] = 0;
		}
		s->committed[i] = !s->committed[i];
		return;
	case 2:
		if (s->watched) {
			wt_ok(ResetWriteWatch(s->base, s->np * WPG));
			memset(s->written, 0, sizeof(s->written));
			memset(s->kept, 0, sizeof(s->kept));
		}
		return;
	default:        /* a few writes */
		for (k = 0; k < 3; k++, i = tt_rand(rng) % s->np) {
			if (!s->committed[i] || s->rdonly[i])
				continue;
			s->base[i * WPG + tt_rand(rng) % WPG] = (char)k;
			s->written[i] = 1;
		}
	}
}

static void *worker(void *arg)
{
	unsigned long long rng = 0x9e3779b97f4a7c15ULL * (uintptr_t)arg + 1;
	struct slot *slots = calloc(ALLOCS, sizeof(*slots));
	size_t r, i;

	tt_check(slots, "out of memory");
	for (i = 0; i < ALLOCS; i++)
		slot_new(&slots[i], &rng);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < ALLOCS; i++) {
			slot_mutate(&slots[i], &rng);
			slot_mutate(&slots[i], &rng);
			slot_check(&slots[i], &rng);
		}
		/* Replace one allocation per round. */
		i = tt_rand(&rng) % ALLOCS;
		tt_check(VirtualFree(slots[i].base, 0, MEM_RELEASE), "release");
		slot_new(&slots[i], &rng);
	}
	for (i = 0; i < ALLOCS; i++)
		tt_check(VirtualFree(slots[i].base, 0, MEM_RELEASE), "release");
	free(slots);
	return NULL;
}

int main(void)
{
	pthread_t th[THREADS];
	size_t i;
	char *probe = wt_alloc(NULL, WPG, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_NOACCESS);

	for (i = 0; i < THREADS; i++)
		tt_check(!pthread_create(&th[i], NULL, worker, (void *)(i + 1)), "pthread_create");
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	VirtualFree(probe, 0, MEM_RELEASE);
	return 0;
}
