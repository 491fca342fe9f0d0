/* SPDX-License-Identifier: MIT */
/* writewatch bench --measure remote (tools/bench_remote.c). */
#ifndef WW_BENCH_REMOTE_H
#define WW_BENCH_REMOTE_H

#include "bench.h"

/* Run the remote-tracking measurements and print them; returns the exit code. */
int bench_remote(const struct bench_opts *o);

#endif /* WW_BENCH_REMOTE_H */
