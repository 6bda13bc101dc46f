# Helpers of the qemu boot suites (test/qemu.bats, test/qemu-cgroup.bats):
# the example appliance (scripts/mkinitramfs.sh) with Debian's cloud kernel
# (scripts/getkernel.sh) under qemu, software emulation only.
#
# Each test boots the appliance plus a small overlay (a second cpio archive
# appended to the initramfs, which the kernel unpacks over the first): a
# test service `svtest` or an /etc/rc.local that reports on the second
# serial port (guest /dev/ttyS1 -> $S/ttyS1.log, no kernel noise) and then
# ends the boot. The console (ttyS0) goes to $S/console.log; how the boot
# ended is its last kernel line ("reboot: Power down", "reboot: Restarting
# system", "reboot: System halted", "Kernel panic"). Boots run one at a
# time (a lock file), each under a 60 s timeout.
#
# Skipped, saying why, only when qemu, busybox-static or the kernel cannot
# be had. SVTEST_KEEP=1 keeps the files of a failed test;
# SVTEST_QEMU_BASE=FILE boots FILE instead of a fresh mkinitramfs.sh image.

load helpers

LOCK=/tmp/svinit-qemu.lock

setup_file() {
	local reason=""
	cd "$BATS_TEST_DIRNAME/.." || return 1
	if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
		reason="qemu-system-x86_64 not installed (scripts/deps.sh test installs qemu-system-x86)"
	elif ! command -v cpio >/dev/null 2>&1; then
		reason="cpio not installed (scripts/deps.sh test installs it)"
	elif ! [ -x /bin/busybox ] && ! [ -x /usr/bin/busybox ]; then
		reason="busybox-static not installed (scripts/deps.sh test installs it)"
	elif ! scripts/getkernel.sh >"$BATS_FILE_TMPDIR/kernel.out" 2>&1; then
		reason="no kernel for qemu: scripts/getkernel.sh failed: $(tail -1 "$BATS_FILE_TMPDIR/kernel.out")"
	fi
	if [ -n "$reason" ]; then
		echo "$reason" >"$BATS_FILE_TMPDIR/skip"
		return 0
	fi
	# The base image: the example appliance as `make qemu` boots it.
	if [ -n "${SVTEST_QEMU_BASE:-}" ]; then
		cp "$SVTEST_QEMU_BASE" "$BATS_FILE_TMPDIR/base.cpio.gz"
	elif ! scripts/mkinitramfs.sh -o "$BATS_FILE_TMPDIR/base.cpio.gz" \
		>"$BATS_FILE_TMPDIR/mkinitramfs.out" 2>&1; then
		{ echo "scripts/mkinitramfs.sh failed:"; cat "$BATS_FILE_TMPDIR/mkinitramfs.out"; } \
			>"$BATS_FILE_TMPDIR/broken"
	fi
}

setup() {
	cd "$ROOT" || return 1
	if [ -e "$BATS_FILE_TMPDIR/skip" ]; then
		skip "$(cat "$BATS_FILE_TMPDIR/skip")"
	fi
	if [ -e "$BATS_FILE_TMPDIR/broken" ]; then
		cat "$BATS_FILE_TMPDIR/broken" >&2
		return 1
	fi
	QPID=
}

teardown() {
	stop_qemu
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${S:-}" ] && [ -d "$S" ]; then
		echo "--- $S/ttyS1.log:" >&2
		tr -d '\r' <"$S/ttyS1.log" 2>/dev/null | tail -40 >&2
		echo "--- $S/console.log (end):" >&2
		tr -d '\r' <"$S/console.log" 2>/dev/null | tail -40 >&2
		if [ -n "${SVTEST_KEEP:-}" ]; then
			cp -a "$S" "/tmp/qemu-test-$(basename "$S")" && echo "# kept /tmp/qemu-test-$(basename "$S")" >&3
		fi
	fi
}

# --- building a scenario --------------------------------------------------

# scenario NAME: start a fresh scenario dir S=$BATS_FILE_TMPDIR/NAME with an
# empty overlay root $S/root.
scenario() {
	S=$BATS_FILE_TMPDIR/$1
	rm -rf "$S"
	mkdir -p "$S/root/etc/sv" "$S/root/etc/svc"
}

# The shell prelude of every guest-side test script: output to ttyS1,
# `say` for result lines, `wait_up NAME...` to wait for services.
guest_prelude() {
	cat <<'EOF'
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH
exec >/dev/ttyS1 2>&1 </dev/null
say() { echo "SVTEST $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# wait_up NAME...: until `svctl status NAME...` says all up (30 s)
wait_up() {
	i=0
	while ! svctl status "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 600 ] || { say "wait_up timeout: $*"; svctl status; return 1; }
		sleep 0.05
	done
}
# svpid NAME: the pid= of NAME in svctl status
svpid() { svctl status "$1" | sed -n 's/.* pid=\([0-9]*\).*/\1/p'; }
# within SECS COMMAND...: poll COMMAND until it succeeds, for SECS (uptime)
within() {
	t=$(( $(cut -d. -f1 /proc/uptime) + $1 ))
	shift
	until "$@"; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$t" ] || return 1
		sleep 0.05
	done
}
EOF
}

# test_service BODY: the overlay gets /etc/sv/svtest, enabled in /etc/svc,
# whose run is the prelude + BODY. It reports TERM (a clean shutdown stops
# it) and then waits to be stopped.
test_service() {
	local d=$S/root/etc/sv/svtest
	mkdir -p "$d"
	{
		echo '#!/bin/sh'
		guest_prelude
		echo "trap 'say svtest got TERM; exit 0' TERM"
		printf '%s\n' "$1"
		echo 'sleep 60 & wait'
	} >"$d/run"
	chmod 755 "$d/run"
	ln -s /etc/sv/svtest "$S/root/etc/svc/svtest"
	# shutdown hook: rc.shutdown runs /etc/rc.local.shutdown
	shutdown_hook
}

shutdown_hook() {
	{
		echo '#!/bin/sh'
		echo 'echo "SVTEST rc.shutdown ran at $(cut -d" " -f1 /proc/uptime)" >/dev/ttyS1'
	} >"$S/root/etc/rc.local.shutdown"
	chmod 755 "$S/root/etc/rc.local.shutdown"
}

# rc_local BODY: the overlay gets an /etc/rc.local (run by rc.boot) made of
# BODY; for scenarios where no service can report.
rc_local() {
	{
		echo '#!/bin/sh'
		printf '%s\n' "$1"
	} >"$S/root/etc/rc.local"
	chmod 755 "$S/root/etc/rc.local"
	shutdown_hook
}

# initrd: base image + the overlay as a second archive.
initrd() {
	(cd "$S/root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$S/overlay.cpio.gz"
	cat "$BATS_FILE_TMPDIR/base.cpio.gz" "$S/overlay.cpio.gz" >"$S/initrd.cpio.gz"
}

# --- running qemu -----------------------------------------------------------

# boot_bg [qemu.sh options]: start qemu in the background (QPID); one qemu
# at a time on this machine (the lock is held while qemu runs).
boot_bg() {
	initrd
	: >"$S/console.log"
	: >"$S/ttyS1.log"
	local lockfd
	exec {lockfd}>>"$LOCK"
	flock -w 300 "$lockfd" || { echo "boot: another qemu test held $LOCK for 300 s" >&2; return 1; }
	# qemu inherits the locked fd: the lock is released when qemu ends
	"$ROOT/scripts/qemu.sh" -i "$S/initrd.cpio.gz" -c "$S/console.log" \
		-o "$S/ttyS1.log" -t 60 "$@" >"$S/qemu.out" 2>&1 &
	QPID=$!
	exec {lockfd}>&-
	BOOT_START=$(now_ms)
}

# wait_qemu [SECS]: wait until qemu ends (default 60 s).
wait_qemu() {
	[ -n "$QPID" ] || return 0
	if ! wait_for "${1:-60}" eval "! alive $QPID"; then
		echo "wait_qemu: qemu still running after ${1:-60}s" >&2
		return 1
	fi
	QRC=0
	wait "$QPID" || QRC=$?
	QPID=
	note "$BATS_TEST_DESCRIPTION: qemu ran $(( $(now_ms) - BOOT_START )) ms (host time)"
	if [ "$QRC" -ne 0 ]; then
		echo "qemu exited with status $QRC:" >&2
		cat "$S/qemu.out" >&2
		return 1
	fi
}

# boot [qemu.sh options]: boot and wait until qemu ends.
boot() {
	boot_bg "$@"
	wait_qemu 70
}

# stop_qemu: kill a qemu still running (TERM to timeout(1), which passes it
# on, then KILL to its process group).
stop_qemu() {
	[ -n "${QPID:-}" ] || return 0
	kill -TERM "$QPID" 2>/dev/null || true
	if ! wait_for 5 eval "! alive $QPID" 2>/dev/null; then
		kill -KILL -- "-$QPID" 2>/dev/null || kill -KILL "$QPID" 2>/dev/null || true
	fi
	wait "$QPID" 2>/dev/null || true
	QPID=
}

# out: the guest's ttyS1 output without the tty's carriage returns.
out() { tr -d '\r' <"$S/ttyS1.log"; }
con() { tr -d '\r' <"$S/console.log"; }
# got TEXT: ttyS1 has a line containing TEXT
got() { out | grep -qF -- "$1"; }
# value KEY: the rest of the line "SVTEST KEY rest"
value() { out | sed -n "s/^SVTEST $1 //p" | head -1; }

# ended_with MESSAGE: the console shows the kernel's MESSAGE and no panic.
ended_with() {
	if con | grep -q 'Kernel panic'; then
		echo "the kernel panicked:" >&2
		con | grep -A8 'Kernel panic' >&2
		return 1
	fi
	con | grep -qF "reboot: $1" || {
		echo "no 'reboot: $1' on the console; last lines:" >&2
		con | tail -15 >&2
		return 1
	}
}

# kernel_time MESSAGE: the printk timestamp (s) of the line with MESSAGE.
kernel_time() {
	con | sed -n "s/^\[ *\([0-9.]*\)\] .*$1.*/\1/p" | tail -1
}

