/*
 * A snapshot of hugetlb memory (root reserves a few huge pages when none are
 * free): tracked and restored per huge page, byte for byte.
 */
#include "tt_snap.h"
#include "tt_hugetlb.h"

int main(void)
{
	size_t hs, n = 4;
	char *mem = tt_hugetlb_map(n, &hs);
	struct tt_snap x = { .t = tt_open(), .mem = mem, .npages = n, .gran = hs, .seed = 3 };
	char what[32];

	tt_fill_some(mem, n, hs, &x.seed, 2);
	for (size_t i = 0; i < n; i++)
		mem[i * hs] = (char)i;
	tt_snap_take(&x, 0);
	tt_ret(ww_granularity(x.t, mem), hs);
	for (unsigned r = 0; r < 200; r++) {
		unsigned ops = 1 + r % 5;

		for (unsigned k = 0; k < ops; k++) {
			size_t pg = tt_rand(&x.seed) % n;

			if (k == 3)
				tt_snap_kwrite(&x, pg);
			else
				tt_snap_write(&x, pg);
		}
		snprintf(what, sizeof(what), "round %u", r);
		tt_snap_restore_check(&x, 1, what);
	}
	tt_snap_done(&x);
	ww_close(x.t);
	return 0;
}
