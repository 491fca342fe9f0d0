/* SPDX-License-Identifier: MIT */
/* writewatch bench: the benchmark matrix (bench/engine/matrix.c does the work). */
#include "cli.h"

int cmd_bench(int argc, char **argv)
{
	return wb_bench_main(argc, argv, "writewatch bench");
}
