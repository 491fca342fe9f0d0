/*
 * Page-table blocks with nothing saved: a range of four blocks (the memory
 * one page-table page maps), two of them partly populated at take and two
 * left holes (untouched: on uffd-async the range arms populated pages only).
 * The check after each restore reads every page, which maps the zero page
 * into holes, and the next round's drops go over those.  Random
 * writes, kernel writes and drops over all of it, restored round after round:
 * byte for byte equal, holes written since are holes again, the count exact.
 * There restore drops a whole block that had nothing saved, so that
 * its page table goes (where this kernel frees the table of a wholly dropped
 * block, CONFIG_PT_RECLAIM) and later scans do not walk it: checked at the
 * end, a write into each hole block and a restore must leave fewer page
 * tables than there were before the restore.
 */
#include "tt_snap.h"
#include "../src/uffd_async_debug.h"

#define ROUNDS 600
#define BLOCKS 4

/* Page-table memory of this process, in KiB (VmPTE). */
static long vm_pte_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	tt_check(f != NULL, "/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Does a MADV_DONTNEED of a whole block free its page table on this kernel? */
static int kernel_frees_tables(char *block, size_t span)
{
	long before, after;

	block[0] = 1;
	before = vm_pte_kib();
	tt_ok(madvise(block, span, MADV_DONTNEED));
	after = vm_pte_kib();
	return before > 0 && after < before;
}

/*
 * MADV_DONTNEED.  Populated-only, a page that holds nothing (a hole at take
 * not written since, or written and now dropped) is no change to report; a
 * saved page dropped is.  Elsewhere as tt_snap_drop (ww_prepare_write).
 */
static void drop(struct tt_snap *x, size_t pg, int populated_only)
{
	if (!populated_only) {
		tt_snap_drop(x, pg);
		return;
	}
	tt_ok(madvise(x->mem + pg * x->gran, x->gran, MADV_DONTNEED));
	x->touched[pg] = !x->hole[pg];
}

static void one_round(struct tt_snap *x, int populated_only)
{
	unsigned ops = 1 + (unsigned)(tt_rand(&x->seed) % 8);

	for (unsigned k = 0; k < ops; k++) {
		size_t pg = tt_rand(&x->seed) % x->npages;
		unsigned what = (unsigned)(tt_rand(&x->seed) % 8);

		if (what < 5)
			tt_snap_write(x, pg);
		else if (what < 6)
			tt_snap_kwrite(x, pg);
		else
			drop(x, pg, populated_only);
	}
}

int main(void)
{
	size_t span = TT_PAGE / 8 * TT_PAGE, per = span / TT_PAGE;
	struct tt_snap x = { .t = tt_open(), .npages = BLOCKS * per, .gran = TT_PAGE,
			     .seed = 29 };
	size_t len = tt_snap_len(&x);
	char *raw = tt_map(len + span);
	char what[32];
	long mid, after;
	int frees, sparse = 0;

	/* Block-aligned, so that whole blocks lie in the range. */
	x.mem = (char *)(((uintptr_t)raw + span - 1) & ~(uintptr_t)(span - 1));
	tt_ok(madvise(x.mem, len, MADV_NOHUGEPAGE));
	frees = kernel_frees_tables(x.mem + span, span);
	/* Blocks 0 and 2: every other page saved; blocks 1 and 3: holes. */
	for (size_t b = 0; b < BLOCKS; b += 2)
		tt_fill_some(x.mem + b * span, per, TT_PAGE, &x.seed, 2);
	tt_snap_take_as(&x, 1, 1);
	if (tt_backend_is("uffd-async")) {
		sparse = ww_async_debug_sparse(x.t, x.mem);
		tt_check(sparse == 1, "uffd-async armed the range with markers (%d)", sparse);
	}
	for (unsigned r = 0; r < ROUNDS; r++) {
		one_round(&x, sparse);
		snprintf(what, sizeof(what), "round %u", r);
		tt_snap_restore_check(&x, 1, what);
	}
	for (size_t b = 1; b < BLOCKS; b += 2)
		tt_snap_write(&x, b * per + per / 2);
	/* Measured before anything reads the range again (a read maps the zero page). */
	mid = vm_pte_kib();
	tt_ret(ww_snapshot_restore(x.s), BLOCKS / 2);
	after = vm_pte_kib();
	tt_check(memcmp(x.mem, x.ref, len) == 0, "hole blocks: range differs after restore");
	if (frees && sparse)
		tt_check(after < mid, "page tables %ld KiB before the restore, %ld after", mid, after);
	tt_snap_done(&x);
	ww_close(x.t);
	munmap(raw, len + span);
	return 0;
}
