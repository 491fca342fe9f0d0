/*
 * The probe structs can grow: a caller built against an older, smaller
 * struct gets exactly the prefix it knows (nothing past it is written), a
 * caller with a larger one gets zeroes past what the library fills, and
 * size comes back as the bytes filled.  Fields keep their offsets: a new
 * field goes at the end.
 */
#include <stddef.h>
#include "tt.h"

/* What version 0.2 of the header laid out; later versions only append. */
_Static_assert(offsetof(struct ww_probe, size) == 0, "size first");
_Static_assert(offsetof(struct ww_backend_info, size) == 0, "size first");

int main(void)
{
	struct ww_probe full = { .size = sizeof(full) };
	size_t old = offsetof(struct ww_probe, chosen);
	unsigned char buf[sizeof(struct ww_probe) + 64];
	struct ww_probe *p = (struct ww_probe *)buf;
	struct ww_backend_info *bi = (struct ww_backend_info *)buf;
	size_t i;

	tt_ok(ww_probe(&full));
	tt_check(full.size == sizeof(full), "size %zu", full.size);

	/* An older caller: only the prefix up to 'chosen'. */
	memset(buf, 0xa5, sizeof(buf));
	p->size = old;
	tt_ok(ww_probe(p));
	tt_check(p->size == old, "size back %zu, want %zu", p->size, old);
	tt_check(!strcmp(p->kernel_release, full.kernel_release) && p->best == full.best,
		 "prefix differs");
	for (i = old; i < sizeof(buf); i++)
		tt_check(buf[i] == 0xa5, "byte %zu past the old struct written", i);

	/* A newer caller: zeroes past this library's struct. */
	memset(buf, 0xa5, sizeof(buf));
	p->size = sizeof(buf);
	tt_ok(ww_probe(p));
	tt_check(p->size == sizeof(full), "size back %zu", p->size);
	for (i = sizeof(full); i < sizeof(buf); i++)
		tt_check(buf[i] == 0, "byte %zu past the struct not zeroed", i);

	/* The same for ww_backend_info. */
	memset(buf, 0xa5, sizeof(buf));
	bi->size = offsetof(struct ww_backend_info, error);
	tt_ok(ww_probe_backend(WW_BACKEND_MPROTECT, bi));
	tt_check(bi->size == offsetof(struct ww_backend_info, error) && bi->available == 1,
		 "backend info prefix");
	for (i = offsetof(struct ww_backend_info, error); i < sizeof(buf); i++)
		tt_check(buf[i] == 0xa5, "byte %zu past the old backend info written", i);
	return 0;
}
