/*
 * Several threads write random pages of a snapshotted range, are joined
 * (writers quiescent), and the range is restored: byte for byte equal to
 * the snapshot after every one of hundreds of rounds.
 */
#include <pthread.h>
#include "tt_snap.h"

#define THREADS 3
#define ROUNDS 400

struct writer {
	struct tt_snap *x;
	unsigned long long seed;
	unsigned char *mine;            /* pages this thread wrote */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned n = 1 + (unsigned)(tt_rand(&w->seed) % 64);

	for (unsigned k = 0; k < n; k++) {
		size_t pg = tt_rand(&w->seed) % w->x->npages;

		w->x->mem[pg * w->x->gran + tt_rand(&w->seed) % w->x->gran] =
			(char)(tt_rand(&w->seed) | 1);
		w->mine[pg] = 1;
	}
	return NULL;
}

int main(void)
{
	struct tt_snap x = { .t = tt_open(), .npages = 1024, .gran = TT_PAGE, .seed = 7 };
	struct writer w[THREADS];
	pthread_t th[THREADS];
	char what[32];

	tt_snap_map_some(&x, 3);
	tt_snap_take(&x, 1);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct writer){ .x = &x, .seed = 100 + (unsigned)i,
					.mine = calloc(x.npages, 1) };
		tt_check(w[i].mine != NULL, "oom");
	}
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < THREADS; i++)
			tt_check(pthread_create(&th[i], NULL, writer_main, &w[i]) == 0, "thread");
		for (int i = 0; i < THREADS; i++) {
			pthread_join(th[i], NULL);
			for (size_t pg = 0; pg < x.npages; pg++)
				x.touched[pg] |= w[i].mine[pg];
			memset(w[i].mine, 0, x.npages);
		}
		snprintf(what, sizeof(what), "round %u", r);
		tt_snap_restore_check(&x, 1, what);
	}
	for (int i = 0; i < THREADS; i++)
		free(w[i].mine);
	tt_snap_done(&x);
	ww_close(x.t);
	return 0;
}
