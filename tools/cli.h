/* SPDX-License-Identifier: MIT */
/* The writewatch command: subcommands and the helpers they share. */
#ifndef WW_CLI_H
#define WW_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes (writewatch(1), EXIT STATUS). */
#define CLI_OK       0
#define CLI_FAILURE  1          /* runtime failure */
#define CLI_USAGE    2          /* usage error */
#define CLI_NOTAVAIL 3          /* nothing requested is available here */

int cmd_probe(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_pages(int argc, char **argv);
int cmd_rate(int argc, char **argv);
int cmd_track(int argc, char **argv);
/* writewatch bench --measure restore (bench_restore.c) */
int cmd_bench_restore(int argc, char **argv);

/*
 * "writewatch CMD: <message>" on stderr, one line; returns code.  A usage
 * error (CLI_USAGE) adds "(see 'writewatch CMD --help')".
 */
int cli_report(int code, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define cli_usage_error(cmd, ...) cli_report(CLI_USAGE, cmd, __VA_ARGS__)
#define cli_error(cmd, ...) cli_report(CLI_FAILURE, cmd, __VA_ARGS__)

struct option;
/*
 * A subcommand's command line: getopt_long over argv with -h/--help (usage
 * to stdout), a missing value, an unknown option and a stray argument
 * handled the same way everywhere (usage_fn prints --help); every other option goes to
 * handle(ctx, c, optarg), which returns -1 to go on or an exit code.
 * Returns -1 when all parsed, else the exit code.
 */
int cli_parse(const char *cmd, int argc, char **argv, const char *shortopts,
	      const struct option *longopts, void (*usage_fn)(FILE *f),
	      int (*handle)(void *ctx, int c, const char *arg), void *ctx);

/*
 * The same for a command that takes operands: getopt's permutation leaves
 * them at argv[*first .. argc) instead of refusing them.
 */
int cli_parse_operands(const char *cmd, int argc, char **argv, const char *shortopts,
		       const struct option *longopts, void (*usage_fn)(FILE *f),
		       int (*handle)(void *ctx, int c, const char *arg), void *ctx,
		       int *first);

/* A decimal integer in [lo, hi]; -EINVAL otherwise. */
int cli_parse_int(const char *s, int lo, int hi, int *out);
/*
 * Flush stdout; if anything written to it was lost (a full disk, /dev/full,
 * a closed pipe), say so on stderr and return CLI_FAILURE, else ret.
 */
int cli_finish_output(const char *cmd, int ret);

#endif /* WW_CLI_H */
