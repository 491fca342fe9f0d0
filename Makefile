# writewatch top-level Makefile (GNU Make).
#   make                 library (shared + static), tool, tests, examples, bench
#   make check           run the test suite once per backend
#   make check-san       the same suite built with ASan + UBSan
#   make demo            build and run the demo
#   make bdwgc           Boehm GC 8.2.2 (Debian's libgc source, fetched with
#                        apt-get source) on libwritewatch: its test suite and a
#                        heap-checking stress per VDB, then a timing table
#                        (integrations/bdwgc/run.sh; BDWGC_ARGS=--quick|--ci|...)
#   make install         PREFIX=/usr/local DESTDIR= ...
#   make cross           everything (make all) for aarch64 with Debian's cross compiler
#                        (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross) into
#                        $(BUILD)-aarch64, then checks with readelf that every
#                        library and program is AArch64.  Builds, does not run:
#                        CROSS_RUN='qemu-aarch64 -L /usr/aarch64-linux-gnu' also
#                        runs `writewatch --version` and `writewatch probe`.
#                        CROSS=<triplet->, CROSS_ARCH, CROSS_MACHINE (readelf's
#                        Machine:) and CROSS_BUILD select another target or dir.
#   WERROR=1             warnings are errors (CI sets it)
#   CC=, AR=             compiler and archiver (make's defaults: cc, ar)

# The version is set once, in include/writewatch.h.
ver_field     = $(shell sed -n 's/^\#define WW_VERSION_$(1) \([0-9]*\)$$/\1/p' include/writewatch.h)
VERSION      := $(call ver_field,MAJOR).$(call ver_field,MINOR).$(call ver_field,PATCH)
SOVERSION    := 0
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

CC       ?= cc
CFLAGS   ?= -O2 -g
BUILD    ?= build
WARN     := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wpointer-arith \
            -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wundef
ifeq ($(WERROR),1)
WARN     += -Werror
endif
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
# -MMD -MP: each object records the headers it includes (see the -include below).
BASEFLAGS := -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) $(SANFLAGS) -Iinclude $(CPPFLAGS) -MMD -MP
LIBFLAGS  := $(BASEFLAGS) -fPIC -fvisibility=hidden -Isrc
LDLIBS    := -pthread

LIB_SRCS   := $(sort $(wildcard src/*.c))
LIB_OBJS   := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
TEST_SRCS  := $(sort $(wildcard tests/*.c))
TESTS      := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
TOOL_OBJS  := $(TOOL_SRCS:%.c=$(BUILD)/%.o)
TOOL       := $(BUILD)/writewatch
EX_SRCS    := $(sort $(wildcard examples/*.c))
EXAMPLES   := $(EX_SRCS:examples/%.c=$(BUILD)/examples/%)
BENCH_SRCS := $(sort $(wildcard bench/*.c))
MEASURE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard tools/measure/*.c)))
MEASURE_LIB := $(BUILD)/tools/libmeasure.a
BENCHES    := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
HEADERS    := $(wildcard include/*.h include/writewatch/*.h)
SHARED     := $(BUILD)/libwritewatch.so.$(VERSION)
STATIC     := $(BUILD)/libwritewatch.a

.PHONY: all lib check check-san demo install uninstall clean cross bdwgc
all: lib $(TESTS) $(if $(TOOL_SRCS),$(TOOL)) $(EXAMPLES) $(BENCHES)
lib: $(SHARED) $(STATIC) $(BUILD)/writewatch.pc

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBFLAGS) -c -o $@ $<

$(SHARED): $(LIB_OBJS) src/libwritewatch.map
	$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -shared -Wl,-soname,libwritewatch.so.$(SOVERSION) \
		-Wl,--version-script=src/libwritewatch.map -Wl,-z,defs -o $@ $(LIB_OBJS) $(LDLIBS)
	ln -sf libwritewatch.so.$(VERSION) $(BUILD)/libwritewatch.so.$(SOVERSION)
	ln -sf libwritewatch.so.$(SOVERSION) $(BUILD)/libwritewatch.so

$(STATIC): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/writewatch.pc: writewatch.pc.in Makefile include/writewatch.h
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Programs link the static library so they run from the tree, with or without sanitizers.
$(BUILD)/tests/%: tests/%.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BASEFLAGS) -Itests $(LDFLAGS) -o $@ $< $(STATIC) $(LDLIBS)
# A test of the tool's own code that compiles it in sees its headers and links its measuring code.
$(BUILD)/tests/tool_rate_maps: BASEFLAGS += -Itools -Itools/measure
$(BUILD)/tests/tool_rate_maps: LDLIBS := $(MEASURE_LIB) -pthread
$(BUILD)/tests/tool_rate_maps: $(MEASURE_LIB)
$(BUILD)/tests/remote_track_exit: BASEFLAGS += -Itools
$(BUILD)/examples/%: examples/%.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BASEFLAGS) $(LDFLAGS) -o $@ $< $(STATIC) $(LDLIBS)
# The tool: tools/*.c, over its measuring code tools/measure/ (an archive that
# bench/ programs may link too).  Only the raw-kernel baselines (and the
# PAGEMAP_SCAN reset of the restore measure) see the library's private uapi
# definitions.
$(BUILD)/tools/measure/baseline_raw.o: TOOL_PRIV := -Isrc
$(BUILD)/tools/measure/restore_scan.o: TOOL_PRIV := -Isrc
$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BASEFLAGS) $(TOOL_PRIV) -Itools -Itools/measure -c -o $@ $<
$(MEASURE_LIB): $(MEASURE_OBJS)
	rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/bench/%: bench/%.c $(MEASURE_LIB) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BASEFLAGS) -Itools/measure $(LDFLAGS) -o $@ $< $(MEASURE_LIB) $(STATIC) $(LDLIBS)
$(TOOL): $(TOOL_OBJS) $(MEASURE_LIB) $(STATIC)
	$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(MEASURE_LIB) $(STATIC) $(LDLIBS)

check: all
	tests/check-library.sh $(BUILD)
	BUILD=$(BUILD) tests/run.sh

check-san:
	$(MAKE) SAN=1 BUILD=build-san WERROR=$(WERROR) check

demo: all
	$(TOOL) demo

bdwgc: lib
	BUILD=$(BUILD) WERROR=$(WERROR) integrations/bdwgc/run.sh $(BDWGC_ARGS)

# Cross build: a sub-make with the cross tools, then the architecture of
# everything it built (every archive member, too) checked with readelf.
CROSS         ?= aarch64-linux-gnu-
CROSS_ARCH    ?= aarch64
CROSS_MACHINE ?= AArch64
CROSS_BUILD   ?= $(BUILD)-$(CROSS_ARCH)
CROSS_RUN     ?=
cross:
	$(MAKE) CC=$(CROSS)gcc AR=$(CROSS)ar BUILD=$(CROSS_BUILD) WERROR=$(WERROR) all
	@bad=0; n=0; \
	for f in $(CROSS_BUILD)/libwritewatch.so.$(VERSION) $(CROSS_BUILD)/libwritewatch.a \
		 $(CROSS_BUILD)/tools/libmeasure.a $(CROSS_BUILD)/writewatch \
		 $(TESTS:$(BUILD)/%=$(CROSS_BUILD)/%) $(EXAMPLES:$(BUILD)/%=$(CROSS_BUILD)/%) \
		 $(BENCHES:$(BUILD)/%=$(CROSS_BUILD)/%); do \
		m=$$(LC_ALL=C readelf -h "$$f" 2>/dev/null | sed -n 's/^ *Machine: *//p' | sort -u); \
		n=$$((n + 1)); \
		if [ "$$m" != "$(CROSS_MACHINE)" ]; then echo "cross: $$f: Machine '$$m', want $(CROSS_MACHINE)" >&2; bad=1; fi; \
	done; \
	[ $$bad = 0 ] || exit 1; \
	echo "cross: $$n files in $(CROSS_BUILD) are $(CROSS_MACHINE)"
ifneq ($(strip $(CROSS_RUN)),)
	$(CROSS_RUN) $(CROSS_BUILD)/writewatch --version
	$(CROSS_RUN) $(CROSS_BUILD)/writewatch probe
endif

MAN3 := $(wildcard man/*.3)
MAN1 := $(wildcard man/*.1)
SUBHEADERS := $(wildcard include/writewatch/*.h)

install: lib $(if $(TOOL_SRCS),$(TOOL))
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/writewatch $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(BINDIR)
	install -m 644 include/writewatch.h $(DESTDIR)$(INCLUDEDIR)/
	$(if $(SUBHEADERS),install -m 644 $(SUBHEADERS) $(DESTDIR)$(INCLUDEDIR)/writewatch/)
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libwritewatch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libwritewatch.so.$(SOVERSION)
	ln -sf libwritewatch.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libwritewatch.so
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(BUILD)/writewatch.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(if $(MAN3),install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/)
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(TOOL_SRCS),install -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/)

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libwritewatch.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/libwritewatch.so.$(SOVERSION) \
	      $(DESTDIR)$(LIBDIR)/libwritewatch.so $(DESTDIR)$(LIBDIR)/libwritewatch.a \
	      $(DESTDIR)$(PKGCONFIGDIR)/writewatch.pc $(DESTDIR)$(INCLUDEDIR)/writewatch.h \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/writewatch/,$(notdir $(SUBHEADERS))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	      $(if $(TOOL_SRCS),$(DESTDIR)$(BINDIR)/writewatch)
	-rmdir $(DESTDIR)$(INCLUDEDIR)/writewatch 2>/dev/null

clean:
	rm -rf $(BUILD) build-san $(BUILD)-aarch64

# Header dependencies recorded by -MMD.
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
