#!/usr/bin/env bats
# SPEC section 2: SVDIR (names, enabling, disabling, rescans, read-only) and
# RUNDIR (files, modes).

load helpers

@test "names: valid names listed, invalid ones skipped with a warning" {
	long64=$(printf 'x%.0s' $(seq 64))
	long65=$(printf 'y%.0s' $(seq 65))
	mksvc 'a.b_c@d-E9' "exec sleep 1000"
	mksvc "$long64" "exec sleep 1000"
	mksvc 'bad name' "exec sleep 1000"
	mksvc 'bad!x' "exec sleep 1000"
	mksvc "$long65" "exec sleep 1000"
	start_init
	wait_state 'a.b_c@d-E9' up
	wait_state "$long64" up
	wait_for 2 eval "grep -q 'bad name' $INIT_OUT"
	wait_for 2 eval "grep -qF 'bad!x' $INIT_OUT"
	wait_for 2 eval "grep -q '$long65' $INIT_OUT"
	grep -E '^init: ' "$INIT_OUT" | grep -qF 'bad name'
	grep -E '^init: ' "$INIT_OUT" | grep -qF 'bad!x'
	run sv status
	echo "$output"
	[ "${#lines[@]}" = 2 ]
	[[ ${lines[0]} == "a.b_c@d-E9 up "* ]]
	[[ ${lines[1]} == "$long64 up "* ]]
}

@test "names: dotfiles, regular files and symlinks to files are ignored" {
	mksvc a "exec sleep 1000"
	mksvc -n .hidden "echo x >> $T/hidden-started; exec sleep 1000"
	ln -s "$SVS/.hidden" "$SVDIR/.hidden"
	mkdir -p "$SVDIR/.dotdir"
	echo hi >"$SVDIR/README"
	ln -s "$SVDIR/README" "$SVDIR/filelink"
	start_init
	wait_state a up
	sleep 0.3
	run sv status
	echo "$output"
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 1 ]
	[[ ${lines[0]} == "a up "* ]]
	[ ! -e "$T/hidden-started" ]
	# a plain directory (not a symlink) is a service too
	# (made aside and moved in, so init never sees it without run)
	mkdir "$T/plain"
	printf '#!/bin/sh\nexec sleep 1000\n' >"$T/plain/run"
	chmod 0755 "$T/plain/run"
	mv "$T/plain" "$SVDIR/plain"
	wait_state plain up
}

@test "enabling: adding a symlink starts the service without any command" {
	start_init
	mksvc -n a "date +%s%N > $T/started; exec sleep 1000"
	t0=$(now_ms)
	enable a
	wait_for 2 test -s "$T/started"
	t1=$(( $(cat "$T/started") / 1000000 ))
	note "service started $(( t1 - t0 )) ms after the symlink was added (SPEC: 100 ms)"
	wait_state a up
	[ $(( t1 - t0 )) -le 2000 ]
}

@test "disabling: removing the symlink stops it, then its logger, and forgets it" {
	mksvc a "trap 'echo svc-exit >> $T/order; exit 0' TERM; echo \$\$ > $T/pid; while :; do sleep 0.05; done"
	mklog a "cat >> $T/log.out; echo log-eof >> $T/order"
	mksvc b "exec sleep 1000"
	start_init
	wait_state a up
	wait_state b up
	pid=$(svpid a)
	lp=$(logpid a)
	[ -n "$lp" ]
	bp=$(svpid b)
	disable a
	wait_gone "$pid" 3
	wait_for 3 eval "[ \$(count_lines $T/order) = 2 ]"
	[ "$(cat "$T/order" | tr '\n' ' ')" = "svc-exit log-eof " ]
	wait_for 2 eval "! sv status a >/dev/null 2>&1"
	run sv status a
	[ "$status" = 4 ]
	run sv status
	# b alone (its uptime may tick between the two reads: not compared)
	[ "${output/uptime=*s /}" = "$(l=$(status_line b); echo "${l/uptime=*s /}")" ]
	[[ $output == "b up "* ]]
	[ "$(svpid b)" = "$bp" ]
	# the logger's whole session is gone too
	wait_gone "$lp" 2
}

@test "svctl rescan applies a new log/ of a running service" {
	mksvc a "echo line-\$\$; exec sleep 1000"
	start_init
	wait_state a up
	[ -z "$(logpid a)" ]
	mklog a "exec cat >> $T/log.out"
	sv rescan
	wait_for 2 eval '[ -n "$(logpid a)" ]'
	alive "$(logpid a)"
	sv restart a
	wait_for 3 test -s "$T/log.out"
	alive "$INIT_PID"
}

@test "svctl rescan applies a removed log/: the logger is stopped" {
	mksvc a "echo line; exec sleep 1000"
	mklog a "exec cat >> $T/log.out"
	start_init
	wait_state a up
	lp=$(logpid a)
	[ -n "$lp" ]
	wait_for 2 grep -qx line "$T/log.out"
	mv "$SVS/a/log" "$T/old-log"
	sv rescan
	wait_for 3 eval '[ -z "$(logpid a)" ]'
	wait_gone "$lp" 3
	alive "$INIT_PID"
}

@test "svctl rescan: a new symlink is applied" {
	start_init
	mksvc a "exec sleep 1000"
	run sv rescan
	[ "$status" = 0 ]
	wait_state a up 2
}

@test "SIGHUP to init does not kill it; new services still appear" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	pid=$(svpid a)
	kill -HUP "$INIT_PID"
	mksvc b "exec sleep 1000"
	kill -HUP "$INIT_PID"
	wait_state b up 2
	alive "$INIT_PID"
	[ "$(svpid a)" = "$pid" ]
}

@test "SIGHUP to init rescans: a new log/ of a running service is applied" {
	mksvc a "echo line; exec sleep 1000"
	start_init
	wait_state a up
	mklog a "exec cat >> $T/log.out"
	kill -HUP "$INIT_PID"
	wait_for 2 eval '[ -n "$(logpid a)" ]'
	alive "$INIT_PID"
	sv status a
}

@test "edits to run and env/ apply at the next start" {
	mksvc a "echo v1-\$SVT_V >> $T/out; exec sleep 1000"
	svfile a env/SVT_V one
	start_init
	wait_for 3 grep -qx v1-one "$T/out"
	printf '#!/bin/sh\necho v2-$SVT_V >> %s/out; exec sleep 1000\n' "$T" >"$SVS/a/run.new"
	chmod 0755 "$SVS/a/run.new"
	mv "$SVS/a/run.new" "$SVS/a/run"
	svfile a env/SVT_V two
	sleep 0.2
	[ "$(count_lines "$T/out")" = 1 ] # no restart by itself
	sv restart a
	wait_for 3 grep -qx v2-two "$T/out"
}

@test "nothing is written into SVDIR (read-only service dirs work)" {
	[ -n "${SVTEST_NS:-}" ] || skip "needs its own mount namespace: run it with scripts/runtests.sh"
	[ "$(id -u)" = 0 ] || skip "needs root for mount"
	mksvc a "exec sleep 1000"
	mksvc b "echo hi; exec sleep 1000"
	mklog b "exec cat >> $T/log.out"
	mksvc -D c "exec sleep 1000"
	mkexec c finish "true"
	svfile c notification-fd 3
	printf '#!/bin/sh\necho >&3; exec sleep 1000\n' >"$SVS/c/run"
	snap() { find "$SVS" "$SVDIR" -printf '%p %y %m %s %T@ %l\n' | sort; }
	before=$(snap)
	for d in "$SVS" "$SVDIR"; do
		mount --bind "$d" "$d"
		mount -o remount,ro,bind "$d"
	done
	run touch "$SVS/a/probe"
	[ "$status" != 0 ] # really read-only
	start_init
	wait_state a up
	wait_state b up
	wait_for 2 test -s "$T/log.out"
	sv up c
	wait_state c up
	sv restart a
	sv down c
	wait_state c down
	wait_state a up
	stop_init
	[ "$INIT_RC" = 0 ]
	[ "$(snap)" = "$before" ]
	# no complaint about writing
	run grep -iE 'read-only|EROFS' "$INIT_OUT"
	[ "$status" != 0 ]
}

@test "nothing is written into SVDIR (writable: no new files after a run)" {
	mksvc a "exec sleep 1000"
	mksvc b "exit 1"
	mklog b "exec cat >/dev/null"
	snap() { find "$SVS" "$SVDIR" -printf '%p %y %m %s %T@ %l\n' | sort; }
	before=$(snap)
	start_init
	wait_state a up
	wait_for 3 eval '[ "$(svfield b restarts)" -ge 2 ]'
	sv restart a
	wait_state a up
	stop_init
	[ "$(snap)" = "$before" ]
}

@test "RUNDIR: created by init; control FIFO 0600; pid; status readable by any user" {
	mksvc a "exec sleep 1000"
	[ ! -e "$RUN" ]
	start_init
	wait_state a up
	[ -d "$RUN" ]
	[ "$(stat -c '%F %a %u' "$RUN/control")" = "fifo 600 0" ]
	[ "$(tr -d ' \n' <"$RUN/pid")" = "$INIT_PID" ]
	[ -e "$RUN/status" ]
	run as_nobody "$BIN/svctl" -r "$RUN" status
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == "a up pid="* ]]
	run as_nobody "$BIN/svctl" -r "$RUN" -j status
	[ "$status" = 0 ]
}

@test "SVDIR and SVRUN from the environment" {
	mksvc a "exec sleep 1000"
	run_clean SVTEST_T="$T" SVDIR="$SVDIR" SVRUN="$RUN" "$BIN/init" >"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_for 3 eval "SVRUN=$RUN $BIN/svctl status a"
	[ -p "$RUN/control" ]
	run env SVRUN="$RUN" "$BIN/svctl" status
	[ "$status" = 0 ]
	[[ $output == "a up "* ]]
}

@test "a missing SVDIR means no services, not an error" {
	SVDIR=$T/does-not-exist
	start_init
	run sv status
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
	sleep 0.2
	alive "$INIT_PID"
	run sv status nosuch
	[ "$status" = 4 ]
}

@test "200 services start and all show up" {
	for i in $(seq -w 1 200); do
		mkdir -p "$SVS/s$i"
		printf '#!/bin/sh\nexec sleep 1000\n' >"$SVS/s$i/run"
		chmod 0755 "$SVS/s$i/run"
		ln -s "$SVS/s$i" "$SVDIR/s$i"
	done
	t0=$(now_ms)
	start_init
	wait_for 20 sv status
	dt=$(( $(now_ms) - t0 ))
	note "200 services up in ${dt} ms"
	run sv status
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 200 ]
	[ "$(grep -c ' up pid=[0-9]* uptime=[0-9]*s ready ' <<<"$output")" = 200 ]
	[[ ${lines[0]} == "s001 up "* ]]
	[[ ${lines[199]} == "s200 up "* ]]
	[ "$dt" -le 10000 ]
	t0=$(now_ms)
	stop_init 15
	note "200 services stopped in $(( $(now_ms) - t0 )) ms"
	[ "$INIT_RC" = 0 ]
}

@test "SVDIR removed and made again: its services come back without a command" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	p=$(svpid a)
	rm -rf "$SVDIR"
	wait_for 2 eval '[ -z "$(sv status 2>/dev/null)" ]'
	wait_gone "$p" 3
	mkdir "$SVDIR"
	enable a
	wait_state a up 2
	alive "$INIT_PID"
}

@test "a service dir made in place (run written, then chmod +x) starts without a command" {
	start_init
	mkdir "$SVDIR/a"
	wait_state a fatal 2
	printf '#!/bin/sh\nexec sleep 1000\n' >"$SVDIR/a/run"
	wait_for 2 eval 'init_lines "a: run: not executable" | grep -q .'
	[ "$(state a)" = fatal ]
	chmod +x "$SVDIR/a/run"
	wait_state a up 2
}

@test "symlink loops in SVDIR: one line naming each, not repeated at rescans" {
	mksvc a "exec sleep 1000"
	ln -s self "$SVDIR/self"
	ln -s "$SVDIR/pong" "$SVDIR/ping"
	ln -s "$SVDIR/ping" "$SVDIR/pong"
	ln -s "$SVDIR/nothing" "$SVDIR/dangling"
	start_init
	wait_state a up
	wait_for 2 eval '[ "$(init_lines ": skipped: Symbolic link loop" | wc -l)" = 3 ]'
	init_lines '^init: self: skipped: Symbolic link loop$' | grep -q .
	init_lines '^init: ping: skipped: Symbolic link loop$' | grep -q .
	sv -w 5 rescan
	sv -w 5 rescan
	ln -s loop "$SVDIR/loop"  # a new one is said, by inotify
	wait_for 2 eval 'init_lines "^init: loop: skipped" | grep -q .'
	sv -w 5 rescan
	[ "$(init_lines ": skipped: Symbolic link loop" | wc -l)" = 4 ]
	rm "$SVDIR/self"  # removed and made again: said again
	ln -s self "$SVDIR/self"
	wait_for 2 eval '[ "$(init_lines "^init: self: skipped" | wc -l)" = 2 ]'
	not grep -q dangling "$INIT_OUT"
	run sv status
	[ "${#lines[@]}" = 1 ]
}

@test "too many services: said once for each one that does not fit, not at rescans" {
	mkdir "$SVDIR"/s{1..1025}
	for d in "$SVDIR"/s*; do
		printf '#!/bin/sh\nexec sleep 1000\n' >"$d/run"
		: >"$d/down"
	done
	chmod +x "$SVDIR"/s*/run
	start_init
	wait_for 5 eval '[ "$(init_lines "too many services" | wc -l)" = 1 ]'
	sv -w 5 rescan
	sv -w 5 rescan
	mkdir "$SVDIR/s1026"  # one more, seen by inotify
	wait_for 2 eval '[ "$(init_lines "too many services" | wc -l)" = 2 ]'
	init_lines '^init: s1026: not supervised: too many services \(limit 1024\)$' | grep -q .
	sv -w 5 rescan
	[ "$(init_lines "too many services" | wc -l)" = 2 ]
	[ "$(sv status | wc -l)" = 1024 ]
	alive "$INIT_PID"
}
