# One static binary, four names. `make` builds ./init with musl-gcc and
# links ./svctl, ./svlog and ./sv to it. `make CC=cc` builds with the system libc.
# `make ARCH=A` (A: aarch64 armhf riscv64 i386 mipsel) cross-builds
# build/A/init, svctl, svlog and sv with Debian's cross gcc and Debian's musl
# for A (scripts/deps.sh fetches them, into build/sysroot/A).
ARCHS = aarch64 armhf riscv64 i386 mipsel
ifeq ($(ARCH),)
ifeq ($(origin CC),default)
CC = musl-gcc
endif
OUT =
# static and never relocated: no position-independent code (-1.9 KB)
XFLAGS = -fno-pie -no-pie
else
ifeq ($(filter $(ARCH),$(ARCHS)),)
$(error ARCH=$(ARCH): not one of $(ARCHS))
endif
TRIPLET_aarch64 = aarch64-linux-gnu
TRIPLET_armhf   = arm-linux-gnueabihf
TRIPLET_riscv64 = riscv64-linux-gnu
TRIPLET_i386    = i686-linux-gnu
TRIPLET_mipsel  = mipsel-linux-gnu
SPECS = build/sysroot/$(ARCH)/musl.specs
CC = $(TRIPLET_$(ARCH))-gcc -specs $(SPECS)
OUT = build/$(ARCH)/
# Debian's cross compilers make position-independent code by default:
# that costs 4 KiB on aarch64 and i386, and a static init needs none.
# MIPS: -mplt calls through a PLT instead of loading every address from
# the GOT: 6 KiB smaller, same ABI as Debian's musl (unlike -mno-abicalls,
# which the linker warns about; -mips16 would be smaller still, but not
# every MIPS32 CPU has it).
XFLAGS = -fno-pie -no-pie $(XFLAGS_$(ARCH))
XFLAGS_mipsel = -mplt
# aarch64: -mcmodel=tiny addresses code and data with one instruction
# instead of two (-2.5 KB): all that the code names directly must then lie
# within 1 MB, so the big tables are mapped at run time (big_table()).
XFLAGS_aarch64 = -mcmodel=tiny
endif
# -flto: the program is optimised as a whole (helpers inlined or not by
# how they are used across files): -552 bytes on x86_64, -1.6 KB on
# aarch64, -2.3 KB on i386; the stack protector stays per file.
CFLAGS ?= -Os -pipe -flto=auto
WARN    = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wconversion \
          -Wno-sign-conversion -Wmissing-prototypes -Wstrict-prototypes
CFLAGS += $(WARN) -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
          -fno-unwind-tables -fno-stack-protector -fno-ident $(XFLAGS)
# common-page-size=64: the data segment follows the code in the file
# instead of starting on a fresh 4 KiB page (ld's default wastes up to a
# page of zeros in the file to save at most one page of memory; here the
# page count is the same): -832 bytes on x86_64, -1,344 on aarch64.
# --sort-section=alignment: the hot tables (HOT in init.h) first in .bss,
# then the big ones, then the small variables: fewer pages touched.
LDFLAGS ?= -static -s -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,--build-id=none -Wl,-z,norelro \
           -Wl,-z,common-page-size=64 -Wl,--sort-section=alignment
PREFIX ?= /usr/local
SBINDIR = $(PREFIX)/sbin
MANDIR  = $(PREFIX)/share/man/man8

SRCS = init.c supervise.c servicedir.c deps.c control.c cgroup.c client.c svctl.c sv.c svlog.c health.c watchdog.c
HDRS = init.h client.h
MANS = man/init.8 man/svctl.8 man/svlog.8 man/sv.8

all: $(OUT)init $(OUT)svctl $(OUT)svlog $(OUT)sv

ifeq ($(ARCH),)
# The stack protector where init and svctl read what others write (SVDIR
# entry names and service files, the FIFO, RUNDIR): a smashed stack there
# ends in a crash, not in code run as root. +1,088 bytes, +30 instructions
# per service start; on every file it would cost +2,528 bytes (see
# bench/ANALYSIS.md, hardening).
SSP_SRCS = servicedir.c control.c client.c svctl.c
SSP = -fstack-protector-strong

init: $(SRCS) $(HDRS)
	@command -v $(CC) >/dev/null 2>&1 || scripts/deps.sh build
	$(CC) $(CFLAGS) $(SSP) -c $(SSP_SRCS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out $(SSP_SRCS),$(SRCS)) $(SSP_SRCS:.c=.o)
	@rm -f $(SSP_SRCS:.c=.o)
else
$(OUT)init: $(SRCS) $(HDRS) $(SPECS)
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SRCS)

$(SPECS):
	scripts/deps.sh cross $(ARCH)
endif

$(OUT)svctl $(OUT)svlog $(OUT)sv: $(OUT)init
	ln -sf init $@

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 init $(DESTDIR)$(SBINDIR)/init
	ln -sf init $(DESTDIR)$(SBINDIR)/svctl
	ln -sf init $(DESTDIR)$(SBINDIR)/svlog
	ln -sf init $(DESTDIR)$(SBINDIR)/sv
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/

# Run init on the example services in the foreground; Ctrl-C stops it all.
demo: all
	scripts/demo.sh

# Every cross build, for make test (each fetches what it needs once).
cross:
	@for a in $(ARCHS); do $(MAKE) -s ARCH=$$a || exit 1; done

# The suites run once against ./init, then ASAN_SUITES again against
# ./init-asan (ASan + UBSan): one summary line for both. By default the
# suites that feed init and svctl hostile input (names, files, FIFOs,
# RUNDIR, the logger), to keep CI lean; ASAN_SUITES=all runs every suite
# but qemu (which boots the static ./init), ASAN_SUITES= none.
ASAN_SUITES ?= security svctl svdir svlog
ifeq ($(ASAN_SUITES),all)
override ASAN_SUITES := $(filter-out qemu%,$(basename $(notdir $(wildcard test/*.bats))))
endif
# Then a subset against each cross build (scripts/runtests.sh) and boots
# of aarch64, armhf and mipsel (test/qemu-arch.bats); make test
# TESTS=test/FILE.bats runs only that file, natively (and under ASan).
test: all $(if $(TESTS),,cross)
	@scripts/deps.sh test
	@$(MAKE) -s init-asan
	@SVTEST_ASAN="$(ASAN_SUITES)" SVTEST_ARCHS="$(if $(TESTS),,$(ARCHS))" scripts/runtests.sh $(TESTS)

# make qemu ARCH=aarch64 (armhf, mipsel): the appliance of that architecture
ifeq ($(ARCH),)
qemu: all
	scripts/deps.sh qemu
	scripts/mkinitramfs.sh
	scripts/qemu.sh
else
qemu: all
	scripts/deps.sh qemu $(ARCH)
	scripts/archimage.sh $(ARCH)
	scripts/qemu.sh -A $(ARCH)
endif

bench: all
	bench/run $(BENCHFLAGS)

# Debug builds for the checkers (not static: the sanitizers need glibc).
asan: init-asan
init-asan: $(SRCS) $(HDRS)
	cc -g -O1 $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer -o $@ $(SRCS)

check: asan
	scripts/check.sh

clean:
	rm -f init svctl svlog sv init-asan
	rm -rf build

.PHONY: all cross install demo test qemu bench asan check clean
