/* SPDX-License-Identifier: MIT */
/*
 * Per-architecture facts, one place each.
 *
 * ww_arch_write_fault(ctx): did the SIGSEGV whose ucontext_t is ctx come
 * from a write?  The mprotect backend takes a fault as its own only if it
 * was a write: a read or an instruction fetch on a page the application
 * made inaccessible after watching it belongs to the application.
 *
 *   x86_64, i386  the page-fault error code in REG_ERR, bit 1 (W/R).
 *                 Tested on this project's machine.
 *   aarch64       ESR_EL1 from the esr_context record the kernel puts in
 *                 uc_mcontext.__reserved: a data abort (EC 0x24/0x25) with
 *                 WnR (bit 6) set.  Built in CI with gcc-aarch64-linux-gnu.
 *   others        unknown: every access fault counts as a possible write.
 *                 Safe for the pages the backend protects (they keep their
 *                 read and exec rights, so only a write faults there); the
 *                 one cost is that a read of a watched page the application
 *                 later made PROT_NONE is taken for a write (the page is
 *                 made accessible again and reported) instead of reaching
 *                 the application's handler.
 *
 * Async-signal-safe: reads the context only.
 */
#ifndef WW_ARCH_H
#define WW_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

#if defined(__x86_64__) || defined(__i386__)

#define WW_ARCH_WRITE_FAULT_KNOWN 1

static inline bool ww_arch_write_fault(const void *ctx)
{
	const ucontext_t *uc = ctx;

	return uc->uc_mcontext.gregs[REG_ERR] & 2;
}

#elif defined(__aarch64__)

#define WW_ARCH_WRITE_FAULT_KNOWN 1

/* The record layout of <asm/sigcontext.h>, kept here to avoid its clash with libc's headers. */
struct ww_a64_ctx_head {
	uint32_t magic;
	uint32_t size;
};

#define WW_A64_ESR_MAGIC 0x45535201u
#define WW_A64_EC(esr) (((esr) >> 26) & 0x3f)
#define WW_A64_EC_DABT_LOW 0x24
#define WW_A64_EC_DABT_CUR 0x25
#define WW_A64_ESR_WNR (1ull << 6)

static inline bool ww_arch_write_fault(const void *ctx)
{
	const ucontext_t *uc = ctx;
	const unsigned char *p = uc->uc_mcontext.__reserved;
	size_t at = 0, room = sizeof(uc->uc_mcontext.__reserved);

	while (at + sizeof(struct ww_a64_ctx_head) <= room) {
		const struct ww_a64_ctx_head *h = (const void *)(p + at);
		uint64_t esr;

		if (!h->magic || h->size < sizeof(*h) || h->size > room - at)
			break;
		if (h->magic == WW_A64_ESR_MAGIC && h->size >= sizeof(*h) + sizeof(esr)) {
			esr = *(const uint64_t *)(const void *)(h + 1);
			if (WW_A64_EC(esr) != WW_A64_EC_DABT_LOW && WW_A64_EC(esr) != WW_A64_EC_DABT_CUR)
				return false;   /* not a data access: an instruction fetch */
			return esr & WW_A64_ESR_WNR;
		}
		at += h->size;
	}
	return true;            /* no ESR record: assume a write (see above) */
}

#else

#define WW_ARCH_WRITE_FAULT_KNOWN 0

static inline bool ww_arch_write_fault(const void *ctx)
{
	(void)ctx;
	return true;            /* unknown architecture: see the table above */
}

#endif

#endif /* WW_ARCH_H */
