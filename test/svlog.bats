#!/usr/bin/env bats
# svlog: rotation, -t, signals, long lines, full disk, usage errors.
#
# Self-contained (no helpers.bash). Runs $SVTEST_BIN/svlog (default: the
# repo root's ./svlog); SVLOG=/path/to/binary tests just that binary.

bats_require_minimum_version 1.5.0

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BIN=${SVTEST_BIN:-$ROOT}
SVLOG=${SVLOG:-$BIN/svlog}
ARCH_RE='^@[0-9]{8}T[0-9]{6}\.[0-9]{6}Z\.s$'
TS_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'

setup_file() {
	[ -x "$SVLOG" ] || make -C "$ROOT" >&2
}

setup() {
	cd "$ROOT" || return 1
	T=$(mktemp -d /tmp/svlog-test.XXXXXX)
	D=$T/log
	LPID=
}

teardown() {
	exec 7>&- 2>/dev/null || true
	if [ -n "$LPID" ] && kill -0 "$LPID" 2>/dev/null; then
		kill -KILL "$LPID" 2>/dev/null || true
		wait "$LPID" 2>/dev/null || true
	fi
	rm -rf "$T"
}

# wait_for SECS CMD...: run CMD every 20 ms until it succeeds or SECS pass.
wait_for() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.02
	done
}

# start_svlog ARGS...: svlog ARGS $D in the background reading a FIFO that
# the test writes through fd 7. Sets LPID.
start_svlog() {
	mkfifo "$T/in"
	"$SVLOG" "$@" "$D" <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	LPID=$!
	exec 7>"$T/in"
}

# stop_svlog: close its input, wait for it; LRC = exit status.
wait_svlog() {
	LRC=0
	wait "$LPID" || LRC=$?
	LPID=
}

archives() { ls "$D" | grep -E "$ARCH_RE" | sort; }
narchives() { archives | wc -l; }
has_line() { grep -qx -- "$2" "$1" 2>/dev/null; }
size() { stat -c %s "$1"; }
# all of the log in order: archives by name, then current
all_log() { for f in $(archives) current; do cat "$D/$f"; done; }

@test "svlog: rotation keeps FILES archives, files never over BYTES, no gap" {
	seq 1 5000 | "$SVLOG" -s 1000 -n 3 "$D"
	[ "$(ls "$D" | wc -l)" -eq 4 ]
	[ -f "$D/current" ]
	[ "$(narchives)" -eq 3 ]
	for f in $(archives) current; do
		[ "$(size "$D/$f")" -le 1000 ]
	done
	# archives are rotated only when the next line does not fit
	for f in $(archives); do
		[ "$(size "$D/$f")" -gt $((1000 - 5)) ]
	done
	# the kept lines are the last ones, in order, without a gap
	all_log >"$T/all"
	first=$(head -n 1 "$T/all")
	[ "$first" -gt 4000 ]
	seq "$first" 5000 | cmp - "$T/all"
}

@test "svlog: archive names are unique, well-formed and in time order" {
	seq 1 3000 | "$SVLOG" -s 100 -n 1000 "$D"
	n=$(narchives)
	[ "$n" -gt 100 ]
	[ "$(ls "$D" | grep -E "$ARCH_RE" | sort -u | wc -l)" -eq "$n" ]
	# name order is data order: all kept, they rebuild the input
	seq 1 3000 | cmp - <(all_log)
}

@test "svlog: appends to an existing current" {
	printf 'one\n' | "$SVLOG" "$D"
	printf 'two\n' | "$SVLOG" "$D"
	printf 'one\ntwo\n' | cmp - "$D/current"
	[ "$(stat -c %a "$D/current")" = 640 ]
}

@test "svlog: a last line without newline gets one; EOF exits 0" {
	run "$SVLOG" "$D" < <(printf 'one\ntwo')
	[ "$status" -eq 0 ]
	printf 'one\ntwo\n' | cmp - "$D/current"
}

@test "svlog: -t prefixes each line with a UTC timestamp" {
	printf 'hello\nworld\n' | "$SVLOG" -t "$D"
	[ "$(wc -l <"$D/current")" -eq 2 ]
	grep -qE "^$TS_RE hello\$" "$D/current"
	grep -qE "^$TS_RE world\$" "$D/current"
	# the time is now, in UTC
	ts=$(head -c 27 "$D/current")
	t=$(date -u -d "$ts" +%s)
	now=$(date +%s)
	[ $((now - t)) -le 60 ] && [ $((t - now)) -le 60 ]
}

@test "svlog: -t: BYTES counts the timestamp" {
	# 40-char lines: two fit in 100 bytes bare, only one with its stamp
	for i in 1 2 3 4 5; do printf '%040d\n' "$i"; done | "$SVLOG" -t -s 100 "$D"
	[ "$(narchives)" -eq 4 ]
	for f in $(archives) current; do
		[ "$(size "$D/$f")" -eq 69 ]
		grep -qE "^$TS_RE 0{39}[1-5]\$" "$D/$f"
	done
}

@test "svlog: a line longer than BYTES is split into full files, nothing lost" {
	long=$(head -c 350 /dev/zero | tr '\0' x)
	printf 'short\n%s\nafter\n' "$long" >"$T/input"
	"$SVLOG" -s 100 "$D" <"$T/input"
	all_log | cmp - "$T/input"
	for f in $(archives) current; do
		[ "$(size "$D/$f")" -le 100 ]
	done
	# the long line starts a file, and fills each file it spans
	set -- $(archives)
	[ "$(cat "$D/$1")" = short ]
	[ "$(size "$D/$2")" -eq 100 ] && [ "$(size "$D/$3")" -eq 100 ] && [ "$(size "$D/$4")" -eq 100 ]
	[ "$(head -c 1 "$D/$2")" = x ]
}

@test "svlog: a partial line longer than BYTES is written without waiting" {
	start_svlog -s 100
	head -c 250 /dev/zero | tr '\0' y >&7
	# 200 bytes fill two files at once; the held rest waits for its newline
	wait_for 5 eval '[ "$(narchives)" -ge 2 ]'
	printf 'zz\nnext\n' >&7
	wait_for 5 has_line "$D/current" next
	exec 7>&-
	wait_svlog
	[ "$LRC" -eq 0 ]
	{ head -c 250 /dev/zero | tr '\0' y; printf 'zz\nnext\n'; } | cmp - <(all_log)
}

@test "svlog: lines are written as soon as they are read" {
	start_svlog
	printf 'a\nb\n' >&7
	wait_for 5 has_line "$D/current" b
	printf 'c\n' >&7
	wait_for 5 has_line "$D/current" c
	# SIGKILL: nothing that was complete is lost
	kill -KILL "$LPID"
	wait_svlog
	printf 'a\nb\nc\n' | cmp - "$D/current"
}

@test "svlog: SIGTERM writes out what was read, partial line too, exits 0" {
	start_svlog
	printf 'a\nb\npart' >&7
	wait_for 5 has_line "$D/current" b
	kill -TERM "$LPID"
	wait_svlog
	[ "$LRC" -eq 0 ]
	printf 'a\nb\npart\n' | cmp - "$D/current"
}

@test "svlog: SIGALRM rotates now, only a non-empty current" {
	start_svlog
	echo line1 >&7
	wait_for 5 has_line "$D/current" line1
	kill -ALRM "$LPID"
	wait_for 5 eval '[ "$(narchives)" -eq 1 ]'
	[ "$(cat "$D/$(archives)")" = line1 ]
	wait_for 5 eval '[ -f "$D/current" ] && [ ! -s "$D/current" ]'
	# an empty current is not rotated
	kill -ALRM "$LPID"
	echo line2 >&7
	wait_for 5 has_line "$D/current" line2
	[ "$(narchives)" -eq 1 ]
	kill -TERM "$LPID"
	wait_svlog
	[ "$LRC" -eq 0 ]
}

@test "svlog: SIGHUP reopens current" {
	start_svlog
	echo one >&7
	wait_for 5 has_line "$D/current" one
	mv "$D/current" "$D/moved"
	kill -HUP "$LPID"
	echo two >&7
	wait_for 5 has_line "$D/current" two
	[ "$(cat "$D/moved")" = one ]
	[ "$(cat "$D/current")" = two ]
}

# fulldisk [MODE]: a scenario of svlog-fulldisk.sh on a tmpfs of its own,
# in a private mount namespace; skipped where no tmpfs can be mounted
fulldisk() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for a tmpfs"
	command -v unshare >/dev/null || skip "no unshare"
	run unshare --mount --propagation private sh "$BATS_TEST_DIRNAME/svlog-fulldisk.sh" "$SVLOG" "$T" "$@"
	echo "$output"
	[ "$status" -ne 77 ] || skip "cannot mount a tmpfs here"
	[ "$status" -eq 0 ]
}

@test "svlog: full disk drops lines without holding up the producer, then recovers" {
	fulldisk
}

@test "svlog: full disk: the oldest archives are deleted to make room" {
	fulldisk archives
}

@test "svlog: full disk: the first line once there is room is written, after one exact notice" {
	fulldisk instant
}

@test "svlog: full disk: with no input, the notice is written once there is room" {
	fulldisk timer
}

@test "svlog: full disk: retries put no notice, nor a piece of one, in the last free bytes" {
	fulldisk slack
}

@test "svlog: full disk: a line that fits a file is not split by the notice before it" {
	fulldisk whole
}

@test "svlog: usage errors exit 2 with one line" {
	for args in "" "-s" "-s abc $D" "-s 99 $D" "-s 0 $D" "-n 0 $D" "-n x $D" \
	            "-x $D" "$D extra" "-s 1000"; do
		run --separate-stderr "$SVLOG" $args
		[ "$status" -eq 2 ] || { echo "args: $args status $status"; false; }
		[ "$stderr" = "svlog: usage: svlog [-s BYTES] [-n FILES] [-t] DIR" ]
	done
	[ ! -e "$D" ]
}

@test "svlog: options may be combined; DIR is created with parents" {
	printf 'x\n' | "$SVLOG" -ts100 -n2 "$D/a/b"
	grep -qE "^$TS_RE x\$" "$D/a/b/current"
}

@test "svlog: cannot create DIR: one line, exit 111" {
	touch "$T/file"
	run --separate-stderr "$SVLOG" "$T/file/log" </dev/null
	[ "$status" -eq 111 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "svlog: $T/file/log: "* ]]
}

@test "svlog: a second svlog on the same DIR exits 111" {
	start_svlog
	echo a >&7
	wait_for 5 has_line "$D/current" a
	run --separate-stderr "$SVLOG" "$D" </dev/null
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"in use"* ]]
}

@test "svlog: init svlog ARGS works like svlog" {
	[ "$SVLOG" = "$BIN/svlog" ] || skip "testing another binary"
	printf 'via init\n' | "$BIN/init" svlog "$D"
	[ "$(cat "$D/current")" = "via init" ]
}
