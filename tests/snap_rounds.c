/*
 * Thousands of take-once / change / restore rounds on private anonymous
 * memory, half of it holes at take: random user writes, kernel writes
 * (read(2) into the range), MADV_DONTNEED of written and unwritten pages,
 * first touches of holes.  After every restore the range equals the
 * snapshot byte for byte, holes written since are holes again, and the
 * count is exactly the pages changed.
 */
#include "tt_snap.h"

#define ROUNDS 3000

static void one_round(struct tt_snap *x, unsigned round)
{
	unsigned ops = 1 + (unsigned)(tt_rand(&x->seed) % 24);

	for (unsigned k = 0; k < ops; k++) {
		size_t pg = tt_rand(&x->seed) % x->npages;
		unsigned what = (unsigned)(tt_rand(&x->seed) % 16);

		if (what < 11)
			tt_snap_write(x, pg);
		else if (what < 13)
			tt_snap_kwrite(x, pg);
		else
			tt_snap_drop(x, pg);
	}
	/* Every 100th round changes every page. */
	if (round % 100 == 99)
		for (size_t pg = 0; pg < x->npages; pg++)
			tt_snap_write(x, pg);
}

int main(void)
{
	struct tt_snap x = { .t = tt_open(), .npages = 256, .gran = TT_PAGE, .seed = 13 };
	char what[64];

	tt_snap_map_some(&x, 2);
	tt_snap_take(&x, 1);
	for (unsigned r = 0; r < ROUNDS; r++) {
		if (r % 100 == 50) {
			snprintf(what, sizeof(what), "round %u (no change)", r);
			tt_snap_restore_check(&x, 1, what);
			continue;
		}
		one_round(&x, r);
		snprintf(what, sizeof(what), "round %u", r);
		tt_snap_restore_check(&x, 1, what);
	}
	tt_snap_done(&x);
	ww_close(x.t);
	return 0;
}
