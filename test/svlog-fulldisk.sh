#!/bin/sh
# svlog-fulldisk.sh SVLOG WORKDIR [archives]: full-disk scenarios of
# svlog.bats. Run it in a private mount namespace:
#   unshare --mount --propagation private sh svlog-fulldisk.sh SVLOG DIR
# Mounts a 64 KiB tmpfs on WORKDIR/mnt and starts svlog on it.
#   default:  fill it, feed 1 MB of lines, free space, feed more.
#   archives: make archives, fill it: svlog deletes the oldest to go on.
#   instant:  fill it, drop lines, free space: the next line is written.
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

mkdir -p "$mnt" || exit 1
mount -t tmpfs -o size=64k tmpfs "$mnt" || exit 77
# 1 MB of 100-byte numbered lines, built outside the tmpfs
awk 'BEGIN { for (i = 1; i <= 10000; i++) printf "%08d %090d\n", i, 0 }' >"$W/mb"
[ "$(wc -c <"$W/mb")" -eq 1000000 ] || fail "bad input file"

mkfifo "$W/fifo"
if [ "$MODE" = archives ]; then
	"$SVLOG" -s 4000 -n 10 "$D" <"$W/fifo" >/dev/null 2>"$W/fd.err" &
else
	"$SVLOG" "$D" <"$W/fifo" >/dev/null 2>"$W/fd.err" &
fi
pid=$!
exec 7>"$W/fifo"
echo before >&7
wait_for 5 has '^before$' || fail "before not logged"
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

if [ "$MODE" = instant ]; then
	# a line that comes as soon as there is room again is written at once
	head -c 5000 "$W/mb" >&7
	wait_for 5 grep -q . "$W/fd.err" || fail "no error line"
	: >"$mnt/fill"  # no fork between freeing and the line
	echo after >&7
	wait_for 5 has '^after$' || fail "after not logged"
	grep -q '^svlog: dropped [1-9][0-9]* lines$' "$D/current" || fail "no dropped line"
	exit 0
fi

t0=$(date +%s%N)
cat "$W/mb" >&7
t1=$(date +%s%N)
elapsed=$(((t1 - t0) / 1000000))
echo "1 MB into a full disk took ${elapsed} ms"
[ "$elapsed" -lt 2000 ] || fail "producer held up ${elapsed} ms"
# a marker that is dropped too proves svlog read everything
echo marker >&7
kill -0 "$pid" 2>/dev/null || fail "svlog died"
grep -q '^00010000 ' "$D/current" && fail "last line written on a full disk"
[ "$(grep -c . "$W/fd.err")" -eq 1 ] || fail "not one error line"
grep -qx "svlog: $D/current: No space left on device" "$W/fd.err" || fail "error line"

rm "$mnt/fill"
wait_for 5 has '^svlog: dropped [1-9][0-9]* lines$' || fail "no dropped line"
echo after >&7
wait_for 5 has '^after$' || fail "after not logged"
kill -0 "$pid" 2>/dev/null || fail "svlog died"
grep -q '^marker$' "$D/current" && fail "marker should have been dropped"
dl=$(grep -n '^svlog: dropped' "$D/current" | cut -d: -f1)
al=$(grep -n '^after$' "$D/current" | cut -d: -f1)
[ "$dl" -lt "$al" ] || fail "dropped line not before new lines"
n=$(sed -n 's/^svlog: dropped \([0-9]*\) lines$/\1/p' "$D/current")
# every line is either in the log (whole) or counted as dropped
grep -v -e '^before$' -e '^after$' -e '^svlog: dropped' -e '^[0-9]\{8\} 0\{90\}$' "$D/current" &&
	fail "a cut or unexpected line in the log"
w=$(grep -c '^[0-9]\{8\} ' "$D/current")
[ $((w + n)) -eq 10001 ] || fail "written $w + dropped $n != 10001"
echo "written $w, dropped $n"

exec 7>&-
wait "$pid"; rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit status $rc"
exit 0
