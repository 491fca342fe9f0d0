/* SPDX-License-Identifier: MIT */
/*
 * ww_bench: the benchmark matrix (first-write and get+reset cost of every
 * tracking method, with ratios to the raw kernel sequence).  A thin main
 * over bench/engine; `writewatch bench` is the same program with the same
 * options.  Prints figures only: nothing here asserts on time.
 */
#include "engine.h"

int main(int argc, char **argv)
{
	return wb_bench_main(argc, argv, "ww_bench");
}
