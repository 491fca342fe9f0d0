/* SPDX-License-Identifier: MIT */
/*
 * A classic BPF interpreter for seccomp filters (the subset the kernel
 * accepts for seccomp: loads from struct seccomp_data, ALU, jumps, scratch
 * memory, returns), and the check that runs the target's filters over the
 * system calls about to be injected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kernel_ptrace.h"
#include "seccomp_eval.h"

#define MAX_INSNS 4096          /* BPF_MAXINSNS */

int ww_seccomp_mode(pid_t pid)
{
	char path[64], line[256];
	int mode = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode;
}

static uint32_t data_word(const struct seccomp_data *d, uint32_t off, bool *bad)
{
	uint32_t w;

	if (off > sizeof(*d) - 4 || off & 3) {
		*bad = true;
		return 0;
	}
	memcpy(&w, (const char *)d + off, 4);
	return w;
}

static uint32_t alu(uint16_t code, uint32_t a, uint32_t v, bool *bad)
{
	switch (BPF_OP(code)) {
	case BPF_ADD: return a + v;
	case BPF_SUB: return a - v;
	case BPF_MUL: return a * v;
	case BPF_DIV: if (!v) *bad = true; return v ? a / v : 0;
	case BPF_MOD: if (!v) *bad = true; return v ? a % v : 0;
	case BPF_AND: return a & v;
	case BPF_OR: return a | v;
	case BPF_XOR: return a ^ v;
	case BPF_LSH: return v < 32 ? a << v : 0;
	case BPF_RSH: return v < 32 ? a >> v : 0;
	case BPF_NEG: return -a;
	}
	*bad = true;
	return 0;
}

static bool jump_taken(uint16_t code, uint32_t a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_JEQ: return a == v;
	case BPF_JGT: return a > v;
	case BPF_JGE: return a >= v;
	case BPF_JSET: return a & v;
	}
	return false;
}

/* An instruction the interpreter does not know, or a bad access: refuse, as the kernel would. */
#define REFUSE SECCOMP_RET_KILL_PROCESS

uint32_t ww_seccomp_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	bool bad = false;
	size_t pc = 0;

	while (pc < len && !bad) {
		const struct sock_filter *f = &prog[pc++];
		uint16_t c = f->code;
		uint32_t src = BPF_SRC(c) == BPF_X ? x : f->k;

		switch (BPF_CLASS(c)) {
		case BPF_LD:
			if (BPF_MODE(c) == BPF_ABS && BPF_SIZE(c) == BPF_W)
				a = data_word(d, f->k, &bad);
			else if (BPF_MODE(c) == BPF_IMM)
				a = f->k;
			else if (BPF_MODE(c) == BPF_MEM && f->k < BPF_MEMWORDS)
				a = mem[f->k];
			else if (BPF_MODE(c) == BPF_LEN)
				a = sizeof(*d);
			else
				bad = true;
			break;
		case BPF_LDX:
			if (BPF_MODE(c) == BPF_IMM)
				x = f->k;
			else if (BPF_MODE(c) == BPF_MEM && f->k < BPF_MEMWORDS)
				x = mem[f->k];
			else if (BPF_MODE(c) == BPF_LEN)
				x = sizeof(*d);
			else
				bad = true;
			break;
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				bad = true;
			else
				mem[f->k] = BPF_CLASS(c) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			a = alu(c, a, src, &bad);
			break;
		case BPF_JMP:
			if (BPF_OP(c) == BPF_JA)
				pc += f->k;
			else
				pc += jump_taken(c, a, src) ? f->jt : f->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(c) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(c) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			bad = true;
		}
	}
	return REFUSE;
}

/* The kernel takes the most restrictive action: the lowest one as a signed value. */
static int32_t action_of(uint32_t ret)
{
	return (int32_t)(ret & SECCOMP_RET_ACTION_FULL);
}

int ww_seccomp_allows(pid_t tid, long nr, long a0, long a1, uintptr_t ip)
{
	struct seccomp_data d = {
		.nr = (int)nr,
		.arch = WW_ARCH_AUDIT,
		.instruction_pointer = ip,
		.args = { (uint64_t)a0, (uint64_t)a1 },
	};
	struct sock_filter *prog = malloc(MAX_INSNS * sizeof(*prog));
	int32_t worst = (int32_t)SECCOMP_RET_ALLOW;
	unsigned idx;
	int n = 0;

	if (!prog)
		return -ENOMEM;
	for (idx = 0;; idx++) {
		n = ww_kp_seccomp_filter(tid, idx, prog, MAX_INSNS);
		if (n < 0)
			break;
		int32_t act = action_of(ww_seccomp_run(prog, (size_t)n, &d));

		if (act < worst)
			worst = act;
	}
	free(prog);
	/* -ENOENT: past the last filter, all were read; anything else is unknown. */
	if (n != -ENOENT)
		return -EACCES;
	return worst == (int32_t)SECCOMP_RET_ALLOW || worst == (int32_t)SECCOMP_RET_LOG ? 0 : -EACCES;
}
