#!/bin/sh
# svlog-fulldisk.sh SVLOG WORKDIR [archives]: full-disk scenarios of
# svlog.bats. Run it in a private mount namespace:
#   unshare --mount --propagation private sh svlog-fulldisk.sh SVLOG DIR
# Mounts a 64 KiB tmpfs on WORKDIR/mnt and starts svlog on it.
#   default:  fill it, feed 1 MB of lines, free space, feed more.
#   archives: make archives, fill it: svlog deletes the oldest to go on.
#   instant:  fill it, drop lines, free space: the next line is written.
#   timer:    fill it, drop lines, free space, no input: the notice is
#             written within a few seconds, alone; then the next line.
#   whole:    (-s 4150) fill it, drop lines, free space, then a line that
#             fits a file alone but not with the notice before it: it is
#             written whole into a file of its own, not split.
#   slack:    (-t) fill it, then lines one read at a time while the last
#             page of current has room for the notice but not for the
#             notice and a line: no notice, nor a piece of one, goes into
#             that room; free space: one notice, N exact.
# Exit 0 pass, 1 fail, 77 skip.
set -u
SVLOG=$1 W=$2 MODE=${3:-drop}
mnt=$W/mnt D=$W/mnt/log
pid=
fail() { echo "FAIL: $*"; echo "--- stderr:"; cat "$W/fd.err"; exit 1; }
cleanup() {
	exec 7>&-
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	wait
	umount "$mnt" 2>/dev/null
}
trap cleanup EXIT
ms() { echo $(($(date +%s%N) / 1000000)); }
# wait_for SECS CMD...: poll every 20 ms
wait_for() {
	end=$(($(ms) + $1 * 1000)); shift
	until "$@"; do
		[ "$(ms)" -lt "$end" ] || return 1
		sleep 0.02
	done
}
has() { grep -q -- "$1" "$D/current" 2>/dev/null; }
# bytes svlog has read so far (it reads nothing but its input)
rchar() { awk '$1 == "rchar:" { print $2 }' "/proc/$pid/io"; }
# wait_read N: until svlog has read N bytes of input after 'before'
wait_read() {
	wait_for 10 eval "[ \$((\$(rchar) - r0)) -ge $1 ]" ||
		fail "svlog read $(($(rchar) - r0)) bytes, not $1"
}
# check_notice TOTAL: one notice, just before the last line 'after'; each
# numbered line of the input is in the log whole or counted in it
check_notice() {
	grep -v -e 'before$' -e 'after$' -e 'svlog: dropped [0-9]* lines$' \
		-e '[0-9]\{8\} 0\{90\}$' "$D/current" && fail "a cut or unexpected line in the log"
	[ "$(grep -c 'svlog: dropped' "$D/current")" -eq 1 ] || fail "not one notice"
	tail -n 2 "$D/current" | head -n 1 | grep -q 'svlog: dropped [0-9]* lines$' ||
		fail "the notice is not just before the line after it"
	n=$(sed -n 's/.*svlog: dropped \([0-9]*\) lines$/\1/p' "$D/current")
	w=$(grep -c '[0-9]\{8\} 0\{90\}$' "$D/current")
	echo "written $w, dropped $n"
	[ $((w + n)) -eq "$1" ] || fail "written $w + dropped $n != $1"
}

mkdir -p "$mnt" || exit 1
mount -t tmpfs -o size=64k tmpfs "$mnt" || exit 77
# 1 MB of 100-byte numbered lines, built outside the tmpfs
awk 'BEGIN { for (i = 1; i <= 10000; i++) printf "%08d %090d\n", i, 0 }' >"$W/mb"
[ "$(wc -c <"$W/mb")" -eq 1000000 ] || fail "bad input file"

mkfifo "$W/fifo"
if [ "$MODE" = slack ]; then
	"$SVLOG" -t "$D" <"$W/fifo" >/dev/null 2>"$W/fd.err" &
elif [ "$MODE" = whole ]; then
	"$SVLOG" -s 4150 "$D" <"$W/fifo" >/dev/null 2>"$W/fd.err" &
elif [ "$MODE" = archives ]; then
	"$SVLOG" -s 4000 -n 10 "$D" <"$W/fifo" >/dev/null 2>"$W/fd.err" &
else
	"$SVLOG" "$D" <"$W/fifo" >/dev/null 2>"$W/fd.err" &
fi
pid=$!
exec 7>"$W/fifo"
echo before >&7
wait_for 5 has 'before$' || fail "before not logged"
r0=$(rchar)
narch() { ls "$D" | grep -c '^@'; }

if [ "$MODE" = archives ]; then
	# 8 archives of 40 lines (one page each)
	head -n 320 "$W/mb" >&7
	wait_for 5 eval '[ "$(narch)" -eq 8 ]' || fail "no 8 archives"
	dd if=/dev/zero of="$mnt/fill" bs=1k 2>/dev/null
	[ "$(df -k "$mnt" | awk 'NR == 2 { print $4 }')" -eq 0 ] || fail "tmpfs not full"
	# 120 more lines need 3 more pages: the oldest archives go
	sed -n 321,440p "$W/mb" >&7
	echo after >&7
	wait_for 5 has '^after$' || fail "after not logged"
	# nothing was dropped: the kept files are one unbroken stream
	for f in $(ls "$D" | grep '^@' | sort) current; do
		cat "$D/$f"
	done | grep -vx before >"$W/all"
	first=$(expr "$(head -c 8 "$W/all")" + 0)
	echo "oldest line kept: $first, archives: $(narch)"
	[ "$first" -gt 40 ] || fail "oldest archives not deleted"
	{ sed -n "$first,440p" "$W/mb"; echo after; } | cmp - "$W/all" ||
		fail "lines lost"
	[ ! -s "$W/fd.err" ] || fail "unexpected error output"
	exec 7>&-
	wait "$pid"; rc=$?
	pid=
	[ "$rc" -eq 0 ] || fail "exit status $rc"
	exit 0
fi

dd if=/dev/zero of="$mnt/fill" bs=1k 2>/dev/null
[ "$(df -k "$mnt" | awk 'NR == 2 { print $4 }')" -eq 0 ] || fail "tmpfs not full"

if [ "$MODE" = instant ] || [ "$MODE" = timer ]; then
	head -c 5000 "$W/mb" >&7
	wait_for 5 grep -q . "$W/fd.err" || fail "no error line"
	wait_read 5000
	: >"$mnt/fill"  # no fork between freeing and the line
	# timer: no input after space is back: a timed try writes the notice;
	# instant: a line that comes as soon as there is room is written at once
	[ "$MODE" = instant ] || wait_for 5 has 'svlog: dropped' || fail "no notice without input"
	echo after >&7
	wait_for 5 has '^after$' || fail "after not logged"
	check_notice 50
	exit 0
fi

if [ "$MODE" = whole ]; then
	# current's first page fills (41 lines), the rest is dropped
	head -c 5000 "$W/mb" >&7
	wait_for 5 grep -q . "$W/fd.err" || fail "no error line"
	wait_read 5000
	: >"$mnt/fill"
	long=$(printf 'long %04130d' 0)  # 4136 bytes with its newline
	echo "$long" >&7
	echo after >&7
	wait_for 5 has '^after$' || fail "after not logged"
	n=0
	for f in "$D"/*; do
		[ -z "$(tail -c 1 "$f")" ] || fail "${f##*/} ends inside a line"
		if grep -qx "$long" "$f"; then n=$((n + 1)); fi
	done
	[ "$n" -eq 1 ] || fail "the long line is not whole in one file"
	grep -q '^svlog: dropped [0-9]* lines$' "$D"/* || fail "no notice"
	exit 0
fi

if [ "$MODE" = slack ]; then
	# 5000 bytes of input: what fits in current's last page is written,
	# the rest dropped; less than a line of room is left in it
	head -n 50 "$W/mb" >&7
	wait_for 5 grep -q . "$W/fd.err" || fail "no error line"
	wait_read 5000
	cp "$D/current" "$W/full"
	# lines one at a time: each is a try of the notice and the line
	i=51
	while [ $i -le 60 ]; do
		sed -n "${i}p" "$W/mb" >&7
		wait_read $((5000 + (i - 50) * 100))
		i=$((i + 1))
	done
	cmp "$W/full" "$D/current" || fail "written into a full disk"
	[ "$(grep -c . "$W/fd.err")" -eq 1 ] || fail "not one error line"
	: >"$mnt/fill"
	echo after >&7
	wait_for 5 has ' after$' || fail "after not logged"
	check_notice 60
	grep -q '^[0-9T:.-]*Z svlog: dropped [0-9]* lines$' "$D/current" ||
		fail "notice without a timestamp"
	exit 0
fi

t0=$(date +%s%N)
cat "$W/mb" >&7
t1=$(date +%s%N)
elapsed=$(((t1 - t0) / 1000000))
echo "1 MB into a full disk took ${elapsed} ms"
[ "$elapsed" -lt 2000 ] || fail "producer held up ${elapsed} ms"
# a marker that is dropped too proves svlog read everything (with the
# notice it is too long for what is left in current's last page)
printf 'marker %093d\n' 0 >&7
wait_read 1000101
kill -0 "$pid" 2>/dev/null || fail "svlog died"
grep -q '^00010000 ' "$D/current" && fail "last line written on a full disk"
[ "$(grep -c . "$W/fd.err")" -eq 1 ] || fail "not one error line"
grep -qx "svlog: $D/current: No space left on device" "$W/fd.err" || fail "error line"

rm "$mnt/fill"
echo after >&7
wait_for 5 has '^after$' || fail "after not logged"
kill -0 "$pid" 2>/dev/null || fail "svlog died"
grep -q '^marker' "$D/current" && fail "marker should have been dropped"
# the marker is the 10001st line, counted in the notice
check_notice 10001

exec 7>&-
wait "$pid"; rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit status $rc"
exit 0
