/*
 * Snapshots of every memory type the backends track besides private
 * anonymous base pages: THP-backed anonymous memory (restored per 4 KiB page
 * where the kernel splits it), memfd mapped shared and mapped private, and
 * shared anonymous memory.  Shared and file-backed memory is saved whole (a
 * hole there still has page-cache content), so its holes are no test here.
 */
#include <sys/mman.h>
#include "tt_snap.h"

#define HUGE (2UL << 20)
#define ROUNDS 300

static void rounds(struct tt_snap *x, int exact, const char *kind)
{
	char what[64];

	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned ops = 1 + (unsigned)(tt_rand(&x->seed) % 16);

		for (unsigned k = 0; k < ops; k++) {
			size_t pg = tt_rand(&x->seed) % x->npages;

			if (k % 5 == 4)
				tt_snap_kwrite(x, pg);
			else
				tt_snap_write(x, pg);
		}
		snprintf(what, sizeof(what), "%s round %u", kind, r);
		tt_snap_restore_check(x, exact, what);
	}
}

static void one(struct ww_tracker *t, char *mem, size_t len, int sparse, int exact,
		const char *kind)
{
	struct tt_snap x = { .t = t, .mem = mem, .npages = len / TT_PAGE, .gran = TT_PAGE,
			     .seed = 5 };

	tt_fill_some(mem, x.npages, x.gran, &x.seed, 2);
	tt_snap_take(&x, sparse);
	rounds(&x, exact, kind);
	tt_snap_done(&x);
}

static char *map_memfd(size_t len, int flags)
{
	int fd = memfd_create("ww-snap", MFD_CLOEXEC);
	char *p;

	tt_check(fd >= 0 && ftruncate(fd, (off_t)len) == 0, "memfd: %s", strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	tt_check(p != MAP_FAILED, "mmap memfd: %s", strerror(errno));
	close(fd);
	return p;
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	size_t len = 4 * HUGE;
	char *raw = tt_map(len + HUGE);
	char *thp = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	char *shanon;

	/* THP: populated whole at take, so the kernel may back it with huge pages. */
	if (madvise(thp, len, MADV_HUGEPAGE) == 0) {
		memset(thp, 1, len);
		one(t, thp, len, 1, 0, "thp");
	} else {
		fprintf(stderr, "note: MADV_HUGEPAGE: %s; THP part not run\n", strerror(errno));
	}
	one(t, map_memfd(64 * TT_PAGE, MAP_SHARED), 64 * TT_PAGE, 0, 1, "memfd shared");
	one(t, map_memfd(64 * TT_PAGE, MAP_PRIVATE), 64 * TT_PAGE, 0, 1, "memfd private");
	shanon = mmap(NULL, 64 * TT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	tt_check(shanon != MAP_FAILED, "mmap shared anon");
	one(t, shanon, 64 * TT_PAGE, 0, 1, "shared anon");
	ww_close(t);
	return 0;
}
