/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the tests of the writewatch command (tests/cli_*.c): find the
 * binary, run it with arguments (and an environment variable, a stdout file
 * or another user) and capture stdout, stderr and the exit status, check
 * JSON and CSV output.
 *
 * The binary: argv[1] if given, else "$BUILD/writewatch" (BUILD defaults to
 * "build"), else writewatch next to the tests directory this test runs from.
 */
#ifndef CLI_UTIL_H
#define CLI_UTIL_H

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "tt.h"

struct cli_out {
	char *out;              /* stdout, NUL-terminated */
	char *err;              /* stderr, NUL-terminated */
	int status;             /* exit code, or 128 + signal */
};

static char cli_tool[PATH_MAX];

static inline void cli_find_tool(int argc, char **argv)
{
	const char *build = getenv("BUILD");
	char self[PATH_MAX - 32];
	ssize_t n;

	if (argc > 1) {
		snprintf(cli_tool, sizeof(cli_tool), "%s", argv[1]);
		return;
	}
	snprintf(cli_tool, sizeof(cli_tool), "%s/writewatch", build && *build ? build : "build");
	if (!access(cli_tool, X_OK))
		return;
	/* $BUILD/tests/name -> $BUILD/writewatch, whatever the working directory. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(cli_tool, sizeof(cli_tool), "%s/../writewatch", self);
			if (!access(cli_tool, X_OK))
				return;
		}
	}
	tt_fail("writewatch binary not found ($BUILD/writewatch or argv[1]); build it with make");
}

/* Append what fd has to *buf. Returns false at EOF. */
static inline bool cli_drain(int fd, char **buf, size_t *len, size_t *cap)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	if (*len + (size_t)n + 1 > *cap) {
		*cap = (*len + (size_t)n + 1) * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			tt_fail("out of memory");
	}
	memcpy(*buf + *len, tmp, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = 0;
	return true;
}

/* How to start the tool: all optional. */
struct cli_how {
	const char *env;        /* "NAME=value" set for the tool, or "NAME=" to unset NAME */
	const char *out_path;   /* stdout to this file (e.g. /dev/full) instead of a pipe */
	uid_t uid;              /* with gid: run as this user (when set is true) */
	gid_t gid;
	bool set_ids;
};

/* A running tool: its pid and the pipes its stdout and stderr go to. */
struct cli_proc {
	pid_t pid;
	int out, err;           /* -1 once at EOF */
	struct cli_out r;
	size_t olen, ocap, elen, ecap;
	double deadline;
	int limit_s;
	const char *what;
};

static inline void cli_child(const struct cli_how *how, int po, int pe, const char *const *argv)
{
	if (how->out_path) {
		int fd = open(how->out_path, O_WRONLY);

		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
	} else {
		dup2(po, 1);
	}
	dup2(pe, 2);
	if (how->env) {
		char name[64];
		const char *eq = strchr(how->env, '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - how->env), how->env);
		if (eq[1])
			setenv(name, eq + 1, 1);
		else
			unsetenv(name);
	}
	if (how->set_ids && (setgroups(0, NULL) || setresgid(how->gid, how->gid, how->gid) ||
			     setresuid(how->uid, how->uid, how->uid)))
		_exit(125);
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Start the tool with args (NULL-terminated, without argv[0]).  cli_wait()
 * kills it after limit_s seconds: a guard against hangs, not a timing
 * assertion.
 */
static inline struct cli_proc cli_start(int limit_s, const struct cli_how *how,
					const char *const *args)
{
	static const struct cli_how plain;
	struct cli_proc p = { .r = { .out = calloc(1, 1), .err = calloc(1, 1) },
			      .ocap = 1, .ecap = 1, .limit_s = limit_s,
			      .deadline = tt_now() + limit_s, .what = args[0] ? args[0] : "" };
	const char *argv[64];
	int po[2], pe[2], n = 0;

	argv[n++] = cli_tool;
	while (args[n - 1] && n < 63) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	/* Close-on-exec: the tool keeps only the copies made its stdout and stderr. */
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		tt_fail("pipe: %s", strerror(errno));
	fflush(NULL);
	p.pid = fork();
	if (p.pid < 0)
		tt_fail("fork: %s", strerror(errno));
	if (!p.pid)
		cli_child(how ? how : &plain, po[1], pe[1], argv);
	close(po[1]);
	close(pe[1]);
	p.out = po[0];
	p.err = pe[0];
	return p;
}

/* Collect output for up to ms milliseconds; false once both pipes are at EOF. */
static inline bool cli_pump(struct cli_proc *p, int ms)
{
	struct pollfd pf[2] = { { .fd = p->out, .events = POLLIN },
				{ .fd = p->err, .events = POLLIN } };
	int left = (int)((p->deadline - tt_now()) * 1000);

	if (p->out < 0 && p->err < 0)
		return false;
	if (left <= 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		tt_fail("writewatch %s: still running after %d s", p->what, p->limit_s);
	}
	if (poll(pf, 2, ms < left ? ms : left) < 0 && errno != EINTR)
		tt_fail("poll: %s", strerror(errno));
	if (p->out >= 0 && (pf[0].revents & (POLLIN | POLLHUP)) &&
	    !cli_drain(p->out, &p->r.out, &p->olen, &p->ocap)) {
		close(p->out);
		p->out = -1;
	}
	if (p->err >= 0 && (pf[1].revents & (POLLIN | POLLHUP)) &&
	    !cli_drain(p->err, &p->r.err, &p->elen, &p->ecap)) {
		close(p->err);
		p->err = -1;
	}
	return p->out >= 0 || p->err >= 0;
}

/* Wait for the tool to end; its output and exit status. */
static inline struct cli_out cli_wait(struct cli_proc *p)
{
	int status;

	while (cli_pump(p, 1000))
		;
	while (waitpid(p->pid, &status, 0) < 0)
		if (errno != EINTR)
			tt_fail("waitpid: %s", strerror(errno));
	p->r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return p->r;
}

/* Run the tool with args to its end (see cli_start). */
static inline struct cli_out cli_run_how(int limit_s, const struct cli_how *how,
					 const char *const *args)
{
	struct cli_proc p = cli_start(limit_s, how, args);

	return cli_wait(&p);
}

static inline struct cli_out cli_run(int limit_s, const char *const *args)
{
	return cli_run_how(limit_s, NULL, args);
}

static inline void cli_free(struct cli_out *r)
{
	free(r->out);
	free(r->err);
}

static inline size_t cli_count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- a strict JSON checker (RFC 8259 syntax) with key lookup ---- */

static inline const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static inline const char *json_value(const char *p, int depth);

/* A string; returns the position after the closing quote, NULL if invalid. */
static inline const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static inline const char *json_number(const char *p)
{
	const char *s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		s = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		s = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	return p;
}

static inline const char *json_container(const char *p, int depth, char close, bool object)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = json_string(p);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = json_ws(p);
	}
}

/* Validate one value; returns the position after it, NULL if invalid. */
static inline const char *json_value(const char *p, int depth)
{
	p = json_ws(p);
	if (depth > 64)
		return NULL;
	switch (*p) {
	case '{':
		return json_container(p, depth, '}', true);
	case '[':
		return json_container(p, depth, ']', false);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return json_number(p);
	}
}

/* The whole text is exactly one JSON value. */
static inline bool json_valid(const char *text)
{
	const char *end = json_value(text, 0);

	return end && !*json_ws(end);
}

/* In the (valid) object at obj, the value of key; NULL if absent or obj no object. */
static inline const char *json_get(const char *obj, const char *key)
{
	const char *p = json_ws(obj);
	size_t klen = strlen(key);

	if (!p || *p != '{')
		return NULL;
	p = json_ws(p + 1);
	while (*p == '"') {
		const char *kend = json_string(p);
		bool match = kend && (size_t)(kend - p - 2) == klen && !strncmp(p + 1, key, klen);

		if (!kend)
			return NULL;
		p = json_ws(kend);
		if (*p++ != ':')
			return NULL;
		p = json_ws(p);
		if (match)
			return p;
		p = json_value(p, 0);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == ',')
			p = json_ws(p + 1);
	}
	return NULL;
}

/* ---- CSV: split one line into fields (RFC 4180 quoting) ---- */

static inline int csv_split(const char *line, char fields[][256], int max)
{
	int n = 0;

	for (;;) {
		size_t len = 0;

		if (n == max)
			return -1;
		if (*line == '"') {
			line++;
			for (;;) {
				if (!*line || *line == '\n')
					return -1;      /* unterminated quote */
				if (*line == '"' && line[1] == '"') {
					line++;
				} else if (*line == '"') {
					line++;
					break;
				}
				if (len < 255)
					fields[n][len++] = *line;
				line++;
			}
		} else {
			while (*line && *line != ',' && *line != '\n') {
				if (len < 255)
					fields[n][len++] = *line;
				line++;
			}
		}
		fields[n++][len] = 0;
		if (*line != ',')
			return *line && *line != '\n' ? -1 : n;
		line++;
	}
}

/* Backend under test as a bench/demo method name ("auto" tests uffd-async). */
static inline const char *cli_backend(void)
{
	return tt_backend_is("auto") ? "uffd-async" : tt_backend();
}

#endif /* CLI_UTIL_H */
