# One static binary, three names. `make` builds ./init with musl-gcc and
# links ./svctl and ./svlog to it. `make CC=cc` builds with the system libc.
ifeq ($(origin CC),default)
CC = musl-gcc
endif
CFLAGS ?= -Os -pipe
WARN    = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wconversion \
          -Wno-sign-conversion -Wmissing-prototypes -Wstrict-prototypes
CFLAGS += $(WARN) -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
          -fno-stack-protector -fno-ident
LDFLAGS ?= -static -s -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,--build-id=none -Wl,-z,norelro
PREFIX ?= /usr/local
SBINDIR = $(PREFIX)/sbin
MANDIR  = $(PREFIX)/share/man/man8

SRCS = init.c supervise.c servicedir.c control.c svctl.c svlog.c
HDRS = init.h
MANS = man/init.8 man/svctl.8 man/svlog.8

all: init svctl svlog

init: $(SRCS) $(HDRS)
	@command -v $(CC) >/dev/null 2>&1 || scripts/deps.sh build
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SRCS)

svctl svlog: init
	ln -sf init $@

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 init $(DESTDIR)$(SBINDIR)/init
	ln -sf init $(DESTDIR)$(SBINDIR)/svctl
	ln -sf init $(DESTDIR)$(SBINDIR)/svlog
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/

# Run init on the example services in the foreground; Ctrl-C stops it all.
demo: all
	scripts/demo.sh

test: all
	@scripts/deps.sh test
	@scripts/runtests.sh $(TESTS)

qemu: all
	scripts/deps.sh qemu
	scripts/mkinitramfs.sh
	scripts/qemu.sh

bench: all
	bench/run $(BENCHFLAGS)

# Debug builds for the checkers (not static: the sanitizers need glibc).
asan:
	cc -g -O1 $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer -o init-asan $(SRCS)

check: asan
	scripts/check.sh

clean:
	rm -f init svctl svlog init-asan
	rm -rf build

.PHONY: all install demo test qemu bench asan check clean
