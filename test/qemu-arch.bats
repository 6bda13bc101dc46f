#!/usr/bin/env bats
# Real boots on other architectures: the cross-built init (make ARCH=A) as
# PID 1 of the example appliance under qemu-system (software emulation),
# with Debian's kernel and busybox-static of that architecture (fetched
# into build/ by scripts/getkernel.sh A and scripts/xapt.sh: nothing is
# installed). aarch64: virt, cortex-a57; armhf: virt, cortex-a15, the
# armmp-lpae kernel; mipsel: malta, the 4kc-malta kernel.
#
# One boot per architecture checks, from a test service inside: the
# services come up (svctl -w status), one is restarted after kill -9, its
# logger writes, a `user` with ids and groups above 65535 gets them (and
# nothing blocked or ignored) as /proc/PID/status says, and busybox
# poweroff powers the machine off. The results are SVTEST lines on the
# console. Skipped, saying why, only when qemu or a download is missing.

load helpers

LOCK=/tmp/svinit-qemu.lock

setup() {
	sv_setup
	B=$T/boot
	mkdir -p "$B"
}

teardown() {
	if [ -n "${QPID:-}" ] && alive "$QPID"; then
		kill -TERM "$QPID" 2>/dev/null || true
		wait_gone "$QPID" 5 || kill -KILL "$QPID" 2>/dev/null || true
	fi
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -s "$B/console.log" ]; then
		echo "--- console (end):" >&2
		tr -d '\r' <"$B/console.log" | tail -40 >&2
	fi
	sv_teardown
}

# image ARCH: build/initramfs-ARCH.cpio.gz from build/ARCH/init and that
# architecture's busybox-static, plus an overlay with the test service.
image() {
	local a=$1
	command -v "qemu-system-${a/armhf/arm}" >/dev/null 2>&1 ||
		skip "qemu-system-${a/armhf/arm} not installed (scripts/deps.sh test installs it)"
	[ -x "$ROOT/build/$a/init" ] || { echo "no build/$a/init: make ARCH=$a" >&2; return 1; }
	KERNEL=$("$ROOT/scripts/getkernel.sh" "$a" 2>"$B/kernel.err") ||
		skip "no $a kernel: $(tail -1 "$B/kernel.err")"
	"$ROOT/scripts/archimage.sh" "$a" "$B/base.cpio.gz" >"$B/mk.err" 2>&1 ||
		skip "cannot make the $a image: $(tail -1 "$B/mk.err")"
	local o=$B/root
	mkdir -p "$o/etc/sv/idtest" "$o/etc/sv/svtest" "$o/etc/svc"
	{ cat "$ROOT/rootfs-example/etc/passwd"; echo "big:x:100000:100001::/:/bin/false"; } >"$o/etc/passwd"
	{ cat "$ROOT/rootfs-example/etc/group"; printf 'high:x:70000:big\nbigp:x:100001:\nhigher:x:131072:root,big\n'; } >"$o/etc/group"
	printf '#!/bin/sh\nexec sleep 1000\n' >"$o/etc/sv/idtest/run"
	echo big >"$o/etc/sv/idtest/user"
	cat >"$o/etc/sv/svtest/run" <<'EOF'
#!/bin/sh
exec >/dev/console 2>&1
say() { echo "SVTEST $*" >/dev/kmsg; }  # whole lines, never mixed with others
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s ' \t' ' ' | sed 's/ $//'; }
svpid() { svctl status "$1" | sed -n 's/.* pid=\([0-9]*\).*/\1/p'; }
# (exit 4: a service not in the status file yet, the scan is under way)
i=0
while svctl -w 120 status hello httpd syslogd crond idtest >/dev/null; [ $? = 4 ] && [ $i -lt 100 ]; do
	i=$((i + 1)); sleep 0.1
done
if svctl -w 120 status hello httpd syslogd crond idtest >/dev/null; then
	say "up ok"
else
	say "up FAIL"; svctl status
fi
p=$(svpid hello)
kill -9 "$p"
i=0
while q=$(svpid hello); [ -z "$q" ] || [ "$q" = "$p" ]; do
	i=$((i + 1)); [ "$i" -lt 600 ] || break; sleep 0.1
done
[ -n "$q" ] && [ "$q" != "$p" ] && say "restart ok" || say "restart FAIL $p $q"
i=0
until grep -q 'hello #' /var/log/hello/current 2>/dev/null; do
	i=$((i + 1)); [ "$i" -lt 300 ] || break; sleep 0.1
done
grep -q 'hello #' /var/log/hello/current && say "log ok" || say "log FAIL"
p=$(svpid idtest)
ids="$(field "$p" Uid)/$(field "$p" Gid)/$(field "$p" Groups)"
[ "$ids" = "100000 100000 100000 100000/100001 100001 100001 100001/70000 100001 131072" ] &&
	say "ids ok" || say "ids FAIL $ids"
sigs="$(field "$p" SigBlk)/$(field "$p" SigIgn)"
case $sigs in *[1-9a-f]*) say "signals FAIL $sigs" ;; *) say "signals ok" ;; esac
say "poweroff"
poweroff
EOF
	chmod 755 "$o/etc/sv/idtest/run" "$o/etc/sv/svtest/run"
	ln -s /etc/sv/svtest "$o/etc/svc/svtest"
	ln -s /etc/sv/idtest "$o/etc/svc/idtest"
	ln -s /etc/sv/hello "$o/etc/svc/hello"
	(cd "$o" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$B/overlay.cpio.gz"
	cat "$B/base.cpio.gz" "$B/overlay.cpio.gz" >"$B/initrd.cpio.gz"
}

# boot ARCH: boot it (one qemu at a time on this machine), wait until it
# powers off (at most 240 s: software emulation on a loaded machine).
boot() {
	local lockfd start
	: >"$B/console.log"
	exec {lockfd}>>"$LOCK"
	flock -w 300 "$lockfd" || { echo "another qemu test held $LOCK for 300 s" >&2; return 1; }
	"$ROOT/scripts/qemu.sh" -A "$1" -k "$KERNEL" -i "$B/initrd.cpio.gz" \
		-c "$B/console.log" -t 240 >"$B/qemu.out" 2>&1 &
	QPID=$!
	exec {lockfd}>&-
	start=$(now_ms)
	wait_for 245 eval "! alive $QPID"
	wait "$QPID" || { cat "$B/qemu.out" >&2; return 1; }
	QPID=
	note "$1: booted, tested and powered off in $(( $(now_ms) - start )) ms (host time)"
}

# check: every SVTEST line is ok, and the machine powered off.
check() {
	local c=$B/console.log
	# (the getty's prompt may share a line with them)
	tr -d '\r' <"$c" | grep -ao 'SVTEST [a-z].*' >"$B/results" || true
	cat "$B/results" >&2
	for r in "up ok" "restart ok" "log ok" "ids ok" "signals ok" "poweroff"; do
		grep -qx "SVTEST $r" "$B/results" || { echo "missing: SVTEST $r" >&2; return 1; }
	done
	not grep -q FAIL "$B/results"
	grep -aq 'reboot: Power down' "$c"
}

@test "aarch64: the appliance boots (virt, cortex-a57), services, restart, logs, ids, poweroff" {
	image aarch64
	boot aarch64
	check
}

@test "armhf: the appliance boots (virt, cortex-a15), services, restart, logs, ids, poweroff" {
	image armhf
	boot armhf
	check
}

@test "mipsel: the appliance boots (malta), services, restart, logs, ids, poweroff" {
	image mipsel
	boot mipsel
	check
}
