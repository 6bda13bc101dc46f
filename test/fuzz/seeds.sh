#!/bin/sh
# seeds.sh DIR: write a few starting inputs for each fuzzer into
# DIR/control, DIR/svdir, DIR/svlog (DIR/status is filled by check.sh with
# a real status file when it has one). Kept as a script so no binary
# files live in the repository, but for repro/: inputs that found bugs.
set -eu
d=$1
mkdir -p "$d/control" "$d/svdir" "$d/svlog" "$d/status" "$d/supervise" \
	"$d/names" "$d/rundir" "$d/loop"

# control: byte 0 is the piece size (see fuzz_control.c), then FIFO bytes
c=$d/control
printf '\001up web @1\n' >"$c/up"
printf '\003\nrestart db @2147483649\n\ndown a@b.c-d_e @7\n' >"$c/two"
printf '\000rescan @5\npoweroff\nhalt @0\n' >"$c/global"
printf '\002kill x\nusr1 web\nwinch db @4294967295\n' >"$c/signals"
printf '\005up\nup nope @1\nup web db\nfoo web\n@1\nup web @x\nup web @99999999999\n' >"$c/bad"
printf '\007up w\000eb\nup web\r\n\tdown\tweb\t@3\t\n' >"$c/blanks"
head -c 5000 /dev/zero | tr '\0' 'a' | sed 's/^/\x04/' >"$c/long"
# lines longer than the buffer, then good ones; one split across reads
{ printf '\000'; head -c 700 /dev/zero | tr '\0' 'u'; printf '\nup web @1\n'; } >"$c/long2"
{ printf '\001up web'; head -c 3000 /dev/zero | tr '\0' ' '; printf ' @9\ndown db\n'; } >"$c/long3"

# svdir: records TYPE LEN BYTES (see fuzz_svdir.c); types:
# 0 run 1 finish 2 timeout-kill 3 timeout-finish 4 max-failures
# 5 notification-fd 6 exitcodes 7 down-signal 8 restart 9 user
# 10 env/NAME (first byte picks NAME) 11 passwd 12 group 13 env (file)
# 14 down 15 log/run
s=$d/svdir
rec() { printf "\\$(printf %o "$1")\\$(printf %o "${#2}")%s" "$2"; }
rec 0 '#!/bin/sh' >"$s/run"
{ rec 0 x; rec 2 '3000'; rec 3 ' 100 '; rec 4 '5'; rec 5 '3'; } >"$s/numbers"
{ rec 0 x; rec 6 '0 1 2 255'; rec 7 'SIGHUP'; rec 8 'on-failure'; } >"$s/policy"
{ rec 0 x; rec 9 'svuser'; rec 11 'svuser:x:1000:1000::/:/bin/sh
'; rec 12 'wheel:x:10:root,svuser
users:x:100:svuser
'; } >"$s/user"
{ rec 0 x; rec 9 'svuser:users'; rec 11 'svuser:x:1000:1000::/:/bin/sh
'; rec 12 'users:x:100
'; } >"$s/usergroup"
{ rec 0 x; rec 9 'svuser'; rec 11 'svuser:x:1000:1000::/:/bin/sh
'; rec 12 'users:x:100
'; } >"$s/group3"
{ rec 0 x; rec 10 'AHello'; rec 10 'B'; rec 10 'Cline1
line2'; rec 10 'Dx'; rec 10 'E'; } >"$s/env"
{ rec 0 x; rec 1 x; rec 2 'abc'; rec 5 '1'; rec 7 'NOPE'; rec 8 'sometimes'; rec 6 '256'; } >"$s/invalid"

# svlog: a 7-byte header (see fuzz_svlog.c), then stdin
l=$d/svlog
printf '\000\000\377\000\000\000\000one\ntwo\nthree\n' >"$l/plain"
printf '\001\010\003\000\000\000\000a\nbb\nccc\npartial' >"$l/stamps"
{ printf '\000\000\011\000\000\000\000'; head -c 700 /dev/zero | tr '\0' 'x'; printf '\nshort\n'; } >"$l/long"
printf '\010\040\377\125\125\000\000l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n' >"$l/enospc"
printf '\010\040\002\377\377\377\377l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n' >"$l/short"

# supervise: events of 3 bytes OP X Y (see fuzz_supervise.c): commands,
# ends of processes, time, readiness, services coming and going
p=$d/supervise
ev() { printf "\\$(printf %o "$1")\\$(printf %o "$2")\\$(printf %o "$3")"; }
{ ev 3 0 0; ev 2 100 0; ev 0 1 0; ev 1 4 0; ev 2 200 1; ev 0 0 0; } >"$p/ready-down-up"
{ ev 1 1 1; ev 2 30 0; ev 2 30 0; ev 1 1 7; ev 2 60 0; ev 2 60 0; ev 0 0 7; } >"$p/backoff-fatal"
{ ev 5 0 2; ev 2 255 0; ev 1 5 0; ev 1 5 1; ev 5 0 2; ev 6 0 0; } >"$p/log-gone-back"
{ ev 0 2 3; ev 1 4 0; ev 2 10 0; ev 1 0 0; ev 0 3 3; ev 1 1 0; } >"$p/restart-finish"
{ ev 5 0 5; ev 5 0 6; ev 1 5 0; ev 7 0 0; ev 2 200 0; ev 1 5 0; ev 1 5 1; } >"$p/gone-shutdown"

# names: records OP LEN BYTES (see fuzz_names.c); the reproducers of
# attacks: a 200-byte dir name (it smashed init's stack), a symlink with a
# 150-byte name, a FIFO and a file in SVDIR, a symlink loop, a service dir
# whose timeout-kill is a FIFO, one whose run is a dir, links to / and .
n=$d/names
A200=$(head -c 200 /dev/zero | tr '\0' A)
B150=$(head -c 150 /dev/zero | tr '\0' B)
printf '\000\310%s' "$A200" >"$n/long-dir"
printf '\001\227\226%s\000' "$B150" >"$n/long-link"
{ printf '\001\227\226%s\000' "$B150"; printf '\006\000\007\000'; } >"$n/long-link-scan"
printf '\003\004fifo\002\004file\006\000' >"$n/fifo-file"
printf '\001\006\004loop\006\001\004\004good\000\007\000' >"$n/loop-good"
printf '\001\006\004fifo\001\006\000' >"$n/fifo-timeout-kill"
printf '\001\006\004rdir\002\001\002\003dot\005' >"$n/rundir-dot"
printf '\001\006\004root/\000\005\005esc\033[' >"$n/root-rename"
printf '\000\004a\nb\000\004\001x\177y\006\000' >"$n/control-bytes"

# rundir: kinds, selector, fix-up flag, then the status file (fuzz_rundir.c)
r=$d/rundir
printf '\000\000\001' >"$r/empty-status"
printf '\020\000\001' >"$r/fifo-status"
printf '\002\000\001' >"$r/fifo-pid"
printf '\011\004\001' >"$r/links-up"
printf '\000\202\001' >"$r/fifo-control"
printf '\060\050\001' >"$r/zero-status-wait"
# a status file whose one service has a name with escape codes and quotes
python3 - "$r/escape-names" <<'PY' 2>/dev/null || true
import struct, sys
head = struct.pack('<5I', 0, 0x31737673, 128, 1, 0) + b'\0' * (64 * 4) + struct.pack('<i', 1)
name = b'\x1b]0;pwned\x07"},{"x":1\n'
slot = bytearray(128)
struct.pack_into('<H', slot, 54, 1)  # flags: F_USED
slot[60:60 + len(name)] = name       # name (offsets of struct service)
open(sys.argv[1], 'wb').write(b'\000\000\001' + head + bytes(slot))
PY

# loop: byte 0 (who ignores TERM), then events OP X Y (fuzz_loop.c); the
# attacks: a 200-byte dir (Y=10), a 150-byte symlink (11), a FIFO as
# timeout-kill (8), a logger that ignores TERM (9), long FIFO lines
l=$d/loop
ev() { printf "\\$(printf %o "$1")\\$(printf %o "$2")\\$(printf %o "$3")"; }
{ printf '\000'; ev 5 0 10; ev 2 0 0; ev 5 0 11; ev 2 0 0; ev 6 0 0; ev 2 0 0; } >"$l/long-names"
{ printf '\000'; ev 5 0 8; ev 2 0 0; ev 0 0 8; ev 2 0 0; } >"$l/fifo-timeout-kill"
{ printf '\000'; ev 5 0 9; ev 2 0 0; ev 2 0 0; ev 0 1 9; ev 2 255 1; ev 2 255 1; } >"$l/stubborn-logger"
{ printf '\377'; ev 0 0 0; ev 3 0 0; ev 2 9 1; ev 6 1 0; ev 2 255 1; } >"$l/ignore-term"
{ printf '\000'; ev 7 200 0; head -c 200 /dev/zero | tr '\0' x; ev 7 255 0; head -c 255 /dev/zero | tr '\0' y;
  ev 7 100 0; head -c 99 /dev/zero | tr '\0' z; printf '\n'; ev 0 1 0; ev 2 0 0; } >"$l/long-lines"
{ printf '\000'; ev 0 0 7; ev 1 1 0; ev 2 50 1; ev 0 2 2; ev 4 0 0; ev 6 0 0; ev 6 7 0; ev 0 10 0; } >"$l/mixed"

# the inputs that found bugs (repro/HARNESS-what, kept as found): seeds too,
# so each run replays them first
for f in "$(dirname "$0")"/repro/*; do
	b=${f##*/}
	if [ -f "$f" ] && [ -d "$d/${b%%-*}" ]; then
		cp "$f" "$d/${b%%-*}/"
	fi
done
