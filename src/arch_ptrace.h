/* SPDX-License-Identifier: MIT */
/*
 * What running one system call inside another process needs per
 * architecture: the register set, where the syscall number, arguments and
 * result live, the bytes of the syscall instruction, and how a thread
 * stopped inside an interrupted system call is put back so that the call
 * restarts as it would have without us.  x86_64 is tested; aarch64 is built
 * by `make cross` and untested.
 */
#ifndef WW_ARCH_PTRACE_H
#define WW_ARCH_PTRACE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <linux/audit.h>
#include <sys/syscall.h>
#include <sys/user.h>

#if defined(__x86_64__)

typedef struct user_regs_struct ww_regs;

/* syscall: 0f 05 */
static const unsigned char ww_arch_syscall_insn[] = { 0x0f, 0x05 };
#define WW_ARCH_INSN_ALIGN 1
#define WW_ARCH_AUDIT AUDIT_ARCH_X86_64
#define WW_NR_RESTART_SYSCALL 219

static inline void ww_arch_set_call(ww_regs *r, uintptr_t ip, long nr, long a0, long a1)
{
	r->rip = ip;
	r->rax = (unsigned long)nr;
	/* Not inside a system call: the kernel must not restart anything. */
	r->orig_rax = (unsigned long)-1;
	r->rdi = (unsigned long)a0;
	r->rsi = (unsigned long)a1;
}

static inline long ww_arch_result(const ww_regs *r)
{
	return (long)r->rax;
}

static inline uintptr_t ww_arch_ip(const ww_regs *r)
{
	return r->rip;
}

/*
 * x86 decides about restarting after the ptrace stop: a thread interrupted
 * in read(2) shows rax = -ERESTARTSYS with the syscall instruction behind
 * rip.  Rewind it here (as the kernel would have) so that the restored
 * registers re-enter the call; a nanosleep(2) continues through
 * restart_syscall with its remaining time.
 */
static inline void ww_arch_fix_restart(ww_regs *r)
{
	long err = (long)r->rax;

	if ((long)r->orig_rax < 0)
		return;
	if (err == -512 || err == -513 || err == -514) {        /* RESTARTSYS/NOINTR/NOHAND */
		r->rax = r->orig_rax;
		r->rip -= 2;
	} else if (err == -516) {                               /* RESTART_RESTARTBLOCK */
		r->rax = WW_NR_RESTART_SYSCALL;
		r->rip -= 2;
	}
}

#elif defined(__aarch64__)

/* glibc's struct user_regs_struct here: regs[31], sp, pc, pstate. */
typedef struct user_regs_struct ww_regs;

/* svc #0 */
static const unsigned char ww_arch_syscall_insn[] = { 0x01, 0x00, 0x00, 0xd4 };
#define WW_ARCH_INSN_ALIGN 4
#define WW_ARCH_AUDIT AUDIT_ARCH_AARCH64

static inline void ww_arch_set_call(ww_regs *r, uintptr_t ip, long nr, long a0, long a1)
{
	r->pc = ip;
	r->regs[8] = (unsigned long)nr;
	r->regs[0] = (unsigned long)a0;
	r->regs[1] = (unsigned long)a1;
}

static inline long ww_arch_result(const ww_regs *r)
{
	return (long)r->regs[0];
}

static inline uintptr_t ww_arch_ip(const ww_regs *r)
{
	return r->pc;
}

/*
 * arm64 rewinds an interrupted call (pc back on svc, x0 = its first
 * argument) before the ptrace stop, so the saved registers re-enter it.
 * The one difference: an interrupted nanosleep(2) runs again from its full
 * time instead of through restart_syscall (x8 cannot tell the two apart).
 */
static inline void ww_arch_fix_restart(ww_regs *r)
{
	(void)r;
}

#else

/*
 * Another architecture: tracking another process is not available
 * (ww_open_pid() answers -EOPNOTSUPP); the rest of the library builds as is.
 * Supporting it means the few definitions above for its registers.
 */
#define WW_ARCH_NO_PTRACE 1
typedef struct { unsigned long unused; } ww_regs;
static const unsigned char ww_arch_syscall_insn[] = { 0 };
#define WW_ARCH_INSN_ALIGN 1
#define WW_ARCH_AUDIT 0

static inline void ww_arch_set_call(ww_regs *r, uintptr_t ip, long nr, long a0, long a1)
{
	(void)r; (void)ip; (void)nr; (void)a0; (void)a1;
}

static inline long ww_arch_result(const ww_regs *r)
{
	(void)r;
	return -EOPNOTSUPP;
}

static inline uintptr_t ww_arch_ip(const ww_regs *r)
{
	(void)r;
	return 0;
}

static inline void ww_arch_fix_restart(ww_regs *r)
{
	(void)r;
}

#endif

#endif /* WW_ARCH_PTRACE_H */
