/* SPDX-License-Identifier: MIT */
/* The writewatch command: subcommands and shared helpers. */
#ifndef WW_CLI_H
#define WW_CLI_H

#include <stdio.h>

#include "engine.h"

/* Exit codes (writewatch(1), EXIT STATUS). */
#define CLI_OK       WB_EXIT_OK         /* 0 */
#define CLI_FAILURE  WB_EXIT_FAILURE    /* 1: runtime failure */
#define CLI_USAGE    WB_EXIT_USAGE      /* 2: usage error */
#define CLI_NOTAVAIL WB_EXIT_NOTAVAIL   /* 3: nothing requested is available here */

int cmd_probe(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* "writewatch CMD: <message> (see 'writewatch CMD --help')" on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "writewatch CMD: <message>" on stderr; returns CLI_FAILURE. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* WW_CLI_H */
