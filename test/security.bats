#!/usr/bin/env bats
# Hostile input: names, files and dirs made by someone else must never
# crash, block or turn init (or svctl, svlog) against root.

load helpers

# long NAME-LENGTH: a name of that many bytes
long() { head -c "$1" /dev/zero | tr '\0' "${2:-A}"; }

@test "long names in SVDIR, at the first scan and by inotify, are skipped" {
	mksvc a "exec sleep 1000"
	: >"$SVDIR/$(long 200)"
	ln -s "$SVS/a" "$SVDIR/$(long 150 B)"
	mkdir "$SVDIR/$(long 255 C)"
	start_init
	wait_state a up
	: >"$SVDIR/$(long 255 D)"
	ln -s "$SVS/a" "$SVDIR/$(long 140 E)"
	mkdir "$SVDIR/$(long 97 F)"
	mksvc b "exec sleep 1000"
	wait_state b up
	wait_for 2 eval "grep -q 'FFFF.*invalid service name' $INIT_OUT"
	sv rescan
	sv -w 2 up a
	alive "$INIT_PID"
	run sv status
	[ "${#lines[@]}" = 2 ]
}

@test "a logger that ignores SIGTERM is killed after its timeout-kill, also with 0" {
	for k in 300 0; do
		mksvc a$k "exec sleep 1000"
		mklog a$k 'trap "" TERM; exec sleep 100000'
		svfile a$k log/timeout-kill $k
	done
	start_init
	wait_for 3 eval '[ -n "$(logpid a300)" ] && [ -n "$(logpid a0)" ]'
	l300=$(logpid a300) l0=$(logpid a0)
	sv -w 3 down a300 a0
	wait_gone "$l300" 5
	wait_gone "$l0" 5
	sv up a300
	wait_for 3 eval '[ -n "$(logpid a300)" ]'
	stop_init 8
}

@test "init -- COMMAND closes its start directory once COMMAND runs; init -- alone is a usage error" {
	mkdir "$T/wd"
	(cd "$T/wd" && run_clean SVTEST_T="$T" "$BIN/init" -d "$SVDIR" -r "$RUN" -- sh -c 'pwd > cwd; exec sleep 1000' >"$INIT_OUT" 2>&1 </dev/null) &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_for 3 test -s "$T/wd/cwd"
	[ "$(cat "$T/wd/cwd")" = "$T/wd" ]
	run ls -l "/proc/$INIT_PID/fd/"
	echo "$output"
	[[ $output != *"$T/wd"* ]]
	stop_init
	run "$BIN/init" -d "$SVDIR" -r "$RUN" --
	[ "$status" = 2 ]
	[[ $output == *usage* ]]
}

@test "a FIFO as a config file is a config error, never a hang; run as a directory is fatal" {
	mksvc -n a "exec sleep 1000"
	mkfifo "$SVS/a/timeout-kill"
	mksvc -n b "exec sleep 1000"
	mkdir "$SVS/b/env"
	mkfifo "$SVS/b/env/X"
	mksvc -n c "exec sleep 1000"
	mkfifo "$SVS/c/exitcodes"
	mkdir -p "$SVS/d/run"
	mksvc e "exec sleep 1000"
	enable a; enable b; enable c; enable d
	start_init
	wait_state e up
	wait_state a fatal
	wait_state b fatal
	wait_state c fatal
	wait_state d fatal
	grep -q 'a: timeout-kill: Not a regular file' "$INIT_OUT"
	grep -q 'd: run: not executable' "$INIT_OUT"
	sv -w 3 restart e
}

# refused DIR: init -r DIR exits 111 with one line, and runs nothing
refused() {
	mksvc a "echo x >> $T/started; exec sleep 1000"
	run timeout 5 ./init -d "$SVDIR" -r "$1"
	echo "$output"
	[ "$status" = 111 ]
	[ "${#lines[@]}" = 1 ]
	[[ $output == *"$2"* ]]
	[ ! -e "$T/started" ]
}

@test "RUNDIR made by another user, or writable by others, is refused; nothing is touched" {
	echo secret >"$T/victim"
	chmod 0600 "$T/victim"
	mkdir "$T/evil"
	chown nobody "$T/evil"
	ln -s "$T/victim" "$T/evil/pid"
	ln -s "$T/victim" "$T/evil/status"
	refused "$T/evil" "not owned by init's user"
	[ "$(cat "$T/victim")" = secret ]
	[ "$(stat -c %a "$T/victim")" = 600 ]
	chown root "$T/evil"
	chmod 0777 "$T/evil"
	refused "$T/evil" "writable by others"
	chmod 0755 "$T/evil"
	refused "$T/evil" "RUNDIR/pid"
	rm "$T/evil/pid"
	ln -s "$T/evil" "$T/evil-link"
	refused "$T/evil-link" "$T/evil-link"
	mkfifo "$T/evil/pid"
	refused "$T/evil" "RUNDIR/pid"
	rm "$T/evil/pid"
	# a status that is a link is replaced, never written through
	RUN=$T/evil
	start_init
	[ "$(cat "$T/victim")" = secret ]
	[ ! -L "$RUN/status" ]
	wait_state a up
}

@test "init -- COMMAND runs COMMAND when RUNDIR cannot be used; without a command it exits 111" {
	mkdir -m 0755 "$T/ro"
	mksvc a "echo x >> $T/started; exec sleep 1000"
	run as_nobody ./init -d "$SVDIR" -r "$T/ro/run" -- echo hi
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *hi* ]]
	[[ $output == *"running without control"* ]]
	run as_nobody ./init -d "$SVDIR" -r "$T/ro/run"
	[ "$status" = 111 ]
	rm -f "$T/started"
	# beside another init on the same RUNDIR: COMMAND runs, the services do not twice
	start_init
	wait_state a up
	run ./init -d "$SVDIR" -r "$RUN" -- sh -c 'echo hi; sleep 0.5'
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *hi* ]]
	[[ $output == *"in use by another init"* ]]
	[ "$(count_lines "$T/started")" = 1 ]
}

@test "RUNDIR removed while init runs is made again: no second init starts on it" {
	mksvc a "echo x >> $T/started; exec sleep 1000"
	start_init
	wait_state a up
	mv "$RUN" "$T/old-run"  # (rm -rf races with init making it again)
	wait_for 3 test -p "$RUN/control"
	wait_state a up
	run timeout 5 ./init -d "$SVDIR" -r "$RUN"
	[ "$status" = 111 ]
	rm "$RUN/pid"
	wait_for 3 test -s "$RUN/pid"
	run timeout 5 ./init -d "$SVDIR" -r "$RUN"
	[ "$status" = 111 ]
	sv -w 3 restart a
	[ "$(count_lines "$T/started")" = 2 ]
}

@test "svctl refuses a RUNDIR someone else made, never hangs on it, and keeps forged names plain" {
	mkdir "$T/forged"
	mkfifo "$T/forged/status" "$T/forged/control"
	: >"$T/forged/pid"
	chown -R nobody "$T/forged"
	as_nobody flock "$T/forged/pid" sleep 1000 3>&- &
	track_pid $!
	wait_for 3 eval "! flock -n $T/forged/pid true"
	for c in "status" "-w 1 status" "up a" "-j status"; do
		run timeout 5 ./svctl -r "$T/forged" $c
		echo "$c: $status $output"
		[ "$status" = 5 ]
		[[ $output == *"not owned by init's user (or root), or writable by others"* ]]
	done
	# a status file of root's with forged names: printed plain
	mksvc evilname "exec sleep 1000"
	start_init
	wait_state evilname up
	python3 - "$RUN/status" <<'PY'
import struct, sys
f = open(sys.argv[1], 'r+b'); b = bytearray(f.read())
def ck(d):
    h = 2166136261
    for i in range(0, len(d) - 3, 4):
        h = ((h ^ struct.unpack_from('<I', d, i)[0]) * 0x9e3779b1) & 0xffffffff
        h ^= h >> 15
    return h
n = b.find(b'evilname\0')
s = next(s for s in range(n - n % 4, -1, -4) if struct.unpack_from('<I', b, s)[0] == ck(b[s + 4:s + 128]))
b[n:n + 9] = b'\x1b]2;","x\0'
struct.pack_into('<I', b, s, ck(b[s + 4:s + 128]))
f.seek(0); f.write(b)
PY
	run sv status
	echo "$output" | od -c | head
	[[ $output != *$'\e'* ]]
	[[ $output == *'??2????x up '* ]]
	sv -j status | json_check 'assert len(d) == 1 and d[0]["name"] == "??2????x", d'
}

@test "svlog: never follows a symlinked current; new files 0640 in a 0750 dir; a dir writable by others is refused" {
	echo secret >"$T/victim"
	mkdir "$T/log"
	ln -s "$T/victim" "$T/log/current"
	run sh -c "echo evil | '$ROOT/svlog' '$T/log'"
	echo "$output"
	[ "$status" = 111 ]
	[ "$(cat "$T/victim")" = secret ]
	echo hi | (umask 022; "$ROOT/svlog" "$T/new/log")
	[ "$(stat -c %a "$T/new/log")" = 750 ]
	[ "$(stat -c %a "$T/new/log/current")" = 640 ]
	mkdir -m 0777 "$T/open"
	run sh -c "echo x | '$ROOT/svlog' '$T/open'"
	[ "$status" = 111 ]
	[[ $output == *"writable by others"* ]]
	[ ! -e "$T/open/current" ]
	chmod 1777 "$T/open"
	echo x | "$ROOT/svlog" "$T/open"
	[ "$(cat "$T/open/current")" = x ]
}

@test "bytes from names and files reach init's stderr escaped; env/ NUL becomes a newline" {
	mksvc a 'printf "%s" "$X" > '"$T/x"'; exec sleep 1000'
	mkdir -p "$SVS/a/env"
	printf 'a\0b\nignored' >"$SVS/a/env/X"
	mkdir "$SVDIR/$(printf 'bad\ninit: forged')"
	start_init
	wait_state a up
	[ "$(od -An -c "$T/x" | tr -s ' ')" = " a \n b" ]
	wait_for 2 grep -q 'bad?init: forged: skipped' "$INIT_OUT"
	not grep -q '^init: forged' "$INIT_OUT"
}
