#!/usr/bin/env bats
# SPEC section 4: svctl commands, -w, -j, the status line, exit codes, the
# control FIFO under garbage and concurrency.

load helpers

# ---------------------------------------------------------------- status

@test "status: all services sorted by name, or the named ones; exit 0 / 3" {
	mksvc zeta "exec sleep 1000"
	mksvc -D beta "exec sleep 1000"
	mksvc alpha "exec sleep 1000"
	start_init
	wait_state alpha up
	wait_state zeta up
	run sv status
	echo "$output"
	[ "$status" = 3 ] # beta is down
	[ "${#lines[@]}" = 3 ]
	[[ ${lines[0]} == "alpha up "* ]]
	[ "${lines[1]}" = "beta down restarts=0" ]
	[[ ${lines[2]} == "zeta up "* ]]
	run sv status alpha
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 1 ]
	[[ $output == "alpha up "* ]]
	run sv status alpha zeta
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 2 ]
	run sv status beta
	[ "$status" = 3 ]
	[ "$output" = "beta down restarts=0" ]
	run sv status alpha beta
	[ "$status" = 3 ]
	sv up beta
	wait_state beta up
	run sv status
	[ "$status" = 0 ]
}

N='[0-9]+'

@test "status line: up with logger, down never run, signal= after a crash" {
	mksvc a "exec sleep 1000"
	mklog a "exec cat >/dev/null"
	mksvc -D b "exec sleep 1000"
	start_init
	wait_state a up
	[[ $(status_line a) =~ ^a\ up\ pid=$N\ uptime=${N}s\ ready\ restarts=0\ log:pid=$N$ ]]
	[ "$(status_line b)" = "b down restarts=0" ]
	# last run killed by a signal, restarted by init
	old=$(svpid a)
	kill -KILL "$old"
	wait_for 3 eval "[[ \$(status_line a) =~ ^a\ up\ pid=$N\ uptime=${N}s\ ready\ restarts=1\ signal=KILL\ log:pid=$N$ ]]"
	[ "$(svpid a)" != "$old" ]
}

@test "status line: want=down while up after once" {
	mksvc a "exec sleep 1000"
	mklog a "exec cat >/dev/null"
	mksvc -D b "exec sleep 1000"
	start_init
	wait_state a up
	sv once a
	wait_for 2 eval "[[ \$(status_line a) =~ ^a\ up\ pid=$N\ uptime=${N}s\ ready\ restarts=0\ want=down\ log:pid=$N$ ]]"
	sv once b
	wait_for 2 eval "[[ \$(status_line b) =~ ^b\ up\ pid=$N\ uptime=${N}s\ ready\ restarts=0\ want=down$ ]]"
}

@test "status line: stopping with want=up during a restart; exit= and signal=" {
	mksvc c "trap '' TERM; exec sleep 1000"
	svfile c timeout-kill 1000
	mksvc -D b "exec sleep 1000"
	start_init
	wait_state c up
	sv restart c
	wait_for 2 eval "[[ \$(status_line c) =~ ^c\ stopping\ pid=$N\ uptime=${N}s\ restarts=0\ want=up$ ]]"
	wait_for 4 eval "[[ \$(status_line c) =~ ^c\ up\ pid=$N\ uptime=${N}s\ ready\ restarts=0\ signal=KILL$ ]]"
	sv up b
	wait_state b up
	sv down b
	wait_for 2 eval '[ "$(status_line b)" = "b down restarts=0 signal=TERM" ]'
	printf '#!/bin/sh\nexit 7\n' >"$SVS/b/run"
	sv once b
	wait_for 2 eval '[ "$(status_line b)" = "b down restarts=0 exit=7" ]'
}

@test "status line: uptime counts seconds" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	u=$(svfield a uptime)
	[[ $u =~ ^[01]s$ ]]
	wait_for 3 eval '[ "$(svfield a uptime)" != "$u" ]'
	[[ $(svfield a uptime) =~ ^[12]s$ ]]
}

# ---------------------------------------------------------------- up down restart once

@test "up: starts a down service; up twice = one process" {
	mksvc -D a "echo \$\$ >> $T/pids; exec sleep 1000"
	start_init
	wait_for 2 eval '[ "$(state a)" = down ]'
	sv up a
	sv up a
	wait_state a up
	sleep 0.3
	sv up a
	sleep 0.2
	[ "$(count_lines "$T/pids")" = 1 ]
	[ "$(svpid a)" = "$(cat "$T/pids")" ]
}

@test "down: stops, no restart; several names in one call" {
	mksvc a "exec sleep 1000"
	mksvc b "exec sleep 1000"
	mksvc c "exec sleep 1000"
	start_init
	for s in a b c; do wait_state $s up; done
	pa=$(svpid a) pb=$(svpid b) pc=$(svpid c)
	run sv down a b c
	[ "$status" = 0 ]
	wait_gone "$pa"
	wait_gone "$pb"
	wait_gone "$pc"
	for s in a b c; do wait_state $s down; done
	sleep 0.3
	for s in a b c; do [ "$(status_line $s)" = "$s down restarts=0 signal=TERM" ]; done
}

@test "restart: a new process, not counted in restarts" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	old=$(svpid a)
	sv restart a
	wait_gone "$old"
	wait_state a up
	[ "$(svpid a)" != "$old" ]
	[ "$(svfield a restarts)" = 0 ]
}

@test "once: starts a down service and does not restart it" {
	mksvc -D a "echo x >> $T/starts; sleep 0.2; exit 1"
	start_init
	sv once a
	wait_for 3 eval '[ "$(status_line a)" = "a down restarts=0 exit=1" ]'
	sleep 0.4
	[ "$(count_lines "$T/starts")" = 1 ]
}

@test "once: on a running service, no restart when it ends" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	pid=$(svpid a)
	sv once a
	wait_for 2 eval '[ "$(svfield a want)" = down ]'
	[ "$(svpid a)" = "$pid" ]
	kill -TERM "$pid"
	wait_for 3 eval '[ "$(status_line a)" = "a down restarts=0 signal=TERM" ]'
	sleep 0.3
	is_state a down
}

@test "commands apply in order: down up down up ends up with one process" {
	mksvc a "echo \$\$ >> $T/pids; exec sleep 1000"
	start_init
	wait_state a up
	sv down a
	sv up a
	sv down a
	sv up a
	wait_state a up
	sleep 0.3
	wait_state a up
	last=$(tail -1 "$T/pids")
	[ "$(svpid a)" = "$last" ]
	for p in $(head -n -1 "$T/pids"); do not alive "$p"; done
	# and the reverse ends down
	sv up a
	sv down a
	sv up a
	sv down a
	wait_state a down
	sleep 0.3
	is_state a down
	for p in $(cat "$T/pids"); do not alive "$p"; done
}

# ---------------------------------------------------------------- signals

@test "signal commands deliver that signal to the main process only" {
	mksvc a "for s in HUP INT QUIT USR1 USR2 ALRM WINCH TERM CONT; do trap \"echo \$s >> $T/sigs\" \$s; done
sleep 1000 & echo \$! > $T/child
while :; do sleep 1 & wait \$!; done"
	svfile a timeout-kill 300 # it survives TERM: let teardown be quick
	start_init
	wait_state a up
	wait_for 2 test -s "$T/child"
	pid=$(svpid a)
	child=$(cat "$T/child")
	for cmd in hup int quit usr1 usr2 alrm winch term; do
		run sv "$cmd" a
		[ "$status" = 0 ]
		wait_for 2 grep -qx "${cmd^^}" "$T/sigs"
	done
	[ "$(svpid a)" = "$pid" ]
	alive "$child" # the group did not get them
	sv stop a
	wait_for 2 eval "[ \"\$(pstat $pid 1)\" = T ]"
	sv cont a
	wait_for 2 grep -qx CONT "$T/sigs"
	wait_for 2 eval "[ \"\$(pstat $pid 1)\" != T ]"
	sv kill a
	wait_gone "$pid"
	wait_for 3 eval "[[ \$(status_line a) == *' restarts=1 signal=KILL'* ]]"
	wait_state a up
}

# ---------------------------------------------------------------- rescan, shutdown

@test "rescan: exit 0 and a new service appears" {
	start_init
	mksvc a "exec sleep 1000"
	run sv rescan
	[ "$status" = 0 ]
	wait_state a up 2
}

shutdown_cmd() {
	mksvc a "exec sleep 1000"
	mklog a "exec cat >/dev/null"
	mksvc b "trap 'exit 0' TERM; while :; do sleep 0.05; done"
	start_init
	wait_state a up
	wait_state b up
	pa=$(svpid a) pb=$(svpid b) pl=$(logpid a)
	run sv "$1"
	[ "$status" = 0 ]
	wait_init_exit 8
	[ "$INIT_RC" = 0 ]
	not alive "$pa"
	not alive "$pb"
	not alive "$pl"
}

@test "poweroff in nested mode: stops everything, init exits 0" { shutdown_cmd poweroff; }
@test "reboot in nested mode: stops everything, init exits 0" { shutdown_cmd reboot; }
@test "halt in nested mode: stops everything, init exits 0" { shutdown_cmd halt; }

# ---------------------------------------------------------------- -w

@test "-w: up/restart/once wait until up and ready" {
	for s in a b c; do
		mksvc -D $s "sleep 0.4; echo >&3; exec sleep 1000"
		svfile $s notification-fd 3
	done
	start_init
	t0=$(now_ms)
	run sv -w 3 up a
	dt=$(( $(now_ms) - t0 ))
	echo "$output"
	[ "$status" = 0 ]
	[ "$dt" -ge 300 ]
	[ "$dt" -le 900 ] # ready after 400 ms: the wait ends on that event
	is_up_ready a
	t0=$(now_ms)
	run sv -w 3 restart a
	dt=$(( $(now_ms) - t0 ))
	[ "$status" = 0 ]
	[ "$dt" -ge 300 ]
	[ "$dt" -le 900 ] # ready after 400 ms: the wait ends on that event
	is_up_ready a
	t0=$(now_ms)
	run sv -w 3 once b
	dt=$(( $(now_ms) - t0 ))
	[ "$status" = 0 ]
	[ "$dt" -ge 300 ]
	[ "$dt" -le 900 ] # ready after 400 ms: the wait ends on that event
	is_up_ready b
	# decimals accepted
	run sv -w 2.5 up c
	[ "$status" = 0 ]
	is_up_ready c
}

@test "-w: timeout gives exit 1 in time" {
	mksvc -D n "exec sleep 1000"
	svfile n notification-fd 3
	start_init
	t0=$(now_ms)
	run --separate-stderr sv -w 0.5 up n
	dt=$(( $(now_ms) - t0 ))
	echo "rc=$status dt=$dt stderr=$stderr"
	[ "$status" = 1 ]
	[ "$dt" -ge 400 ]
	[ "$dt" -le 2000 ]
	[ "${#stderr_lines[@]}" = 1 ]
	[[ $stderr == *n* ]]
	is_state n starting
	t0=$(now_ms)
	run sv -w 0.5 status n
	dt=$(( $(now_ms) - t0 ))
	[ "$status" = 1 ]
	[ "$dt" -ge 400 ]
	[ "$dt" -le 2000 ]
}

@test "-w: exit 1 at once when the service is or becomes fatal" {
	mkdir -p "$SVS/bad"
	enable bad
	# never ready (notification-fd), so it cannot count as up before fatal
	mksvc -D mf "exit 1"
	svfile mf notification-fd 3
	svfile mf max-failures 2
	start_init
	wait_state bad fatal
	t0=$(now_ms)
	run sv -w 5 up bad
	dt=$(( $(now_ms) - t0 ))
	[ "$status" = 1 ]
	[ "$dt" -le 2000 ]
	t0=$(now_ms)
	run sv -w 5 up mf
	dt=$(( $(now_ms) - t0 ))
	note "fatal after max-failures 2 reported after ${dt} ms"
	[ "$status" = 1 ]
	[ "$dt" -le 2500 ]
	is_state mf fatal
}

@test "-w: down waits until down and finish done" {
	mksvc a "exec sleep 1000"
	mkexec a finish "sleep 0.4; echo done > $T/fin"
	start_init
	wait_state a up
	t0=$(now_ms)
	run sv -w 3 down a
	dt=$(( $(now_ms) - t0 ))
	[ "$status" = 0 ]
	[ "$dt" -ge 300 ]
	[ "$dt" -le 1500 ]
	[ -s "$T/fin" ]
	is_state a down
}

@test "-w: status waits until every named service is up and ready" {
	mksvc a "sleep 0.4; echo >&3; exec sleep 1000"
	svfile a notification-fd 3
	mksvc b "exec sleep 1000"
	start_init
	t0=$(now_ms)
	run sv -w 3 status a b
	dt=$(( $(now_ms) - t0 ))
	echo "$output"
	[ "$status" = 0 ]
	is_up_ready a
	is_up_ready b
	note "status -w returned ${dt} ms after start (a is ready after 400 ms)"
	[ "$dt" -le 900 ]
}

# ---------------------------------------------------------------- -j

@test "-j: JSON array with the documented keys and types" {
	mksvc a "exec sleep 1000"
	mklog a "exec cat >/dev/null"
	mksvc -D b "exit 3"
	mksvc c "exec sleep 1000"
	start_init
	wait_state a up
	wait_state c up
	sv once b
	wait_for 3 eval '[ "$(status_line b)" = "b down restarts=0 exit=3" ]'
	kill -KILL "$(svpid c)"
	wait_for 3 eval '[ "$(svfield c restarts)" = 1 ]'
	wait_state c up
	pa=$(svpid a) pl=$(logpid a) pc=$(svpid c)
	run sv -j status
	echo "$output"
	[ "$status" = 3 ]
	json_check "
keys = {'name','state','pid','uptime_s','ready','restarts','want','last_exit_code','last_signal','log_pid',
        'needs','error','health','status_text','mem_bytes','cpu_s','oom_kills'}
isint = lambda v: type(v) is int
assert type(d) is list and len(d) == 3, d
assert [o['name'] for o in d] == ['a','b','c']
for o in d:
    assert set(o) == keys, o
    assert o['state'] in ('up','starting','waiting','down','backoff','stopping','finishing','fatal')
    assert o['needs'] == [] and o['error'] is None and o['health'] is None, o
    assert o['status_text'] is None and o['oom_kills'] is None, o
    assert o['pid'] is None or isint(o['pid'])
    assert isint(o['uptime_s']) and o['uptime_s'] >= 0
    assert type(o['ready']) is bool
    assert isint(o['restarts'])
    assert o['want'] in ('up','down')
    assert o['last_exit_code'] is None or isint(o['last_exit_code'])
    assert o['last_signal'] is None or isint(o['last_signal'])
    assert o['log_pid'] is None or isint(o['log_pid'])
a, b, c = d
assert a['state'] == 'up' and a['pid'] == $pa and a['ready'] is True and a['want'] == 'up', a
assert a['restarts'] == 0 and a['last_exit_code'] is None and a['last_signal'] is None, a
assert a['log_pid'] == $pl, a
assert b['state'] == 'down' and b['pid'] is None and b['ready'] is False and b['want'] == 'down', b
assert b['last_exit_code'] == 3 and b['last_signal'] is None and b['log_pid'] is None, b
assert c['state'] == 'up' and c['pid'] == $pc and c['restarts'] == 1, c
assert c['last_signal'] == 9 and c['last_exit_code'] is None, c
" <<<"$output"
	run sv -j status c
	[ "$status" = 0 ]
	json_check "assert len(d) == 1 and d[0]['name'] == 'c'" <<<"$output"
}

# ---------------------------------------------------------------- exit codes

@test "exit 2: usage errors" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	long65=$(printf 'y%.0s' $(seq 65))
	for args in "-x status" "frobnicate a" "" "up" "-w abc up a" "-w" "up bad/name"; do
		run --separate-stderr sv $args
		echo "svctl $args -> $status: $stderr"
		[ "$status" = 2 ]
		[ -n "$stderr" ]
	done
	run --separate-stderr sv up 'bad name'
	[ "$status" = 2 ]
	[ "${#stderr_lines[@]}" = 1 ]
	run --separate-stderr sv up "$long65"
	[ "$status" = 2 ]
	run --separate-stderr sv status "$long65"
	[ "$status" = 2 ]
	# nothing happened to a
	wait_state a up
}

@test "exit 4: unknown service (wins over 3), one line naming it" {
	mksvc a "exec sleep 1000"
	mksvc -D b "exec sleep 1000"
	start_init
	wait_state a up
	for cmd in status up down restart once term; do
		run --separate-stderr sv $cmd nosuchsvc
		echo "$cmd: $status: $stderr"
		[ "$status" = 4 ]
		[ "${#stderr_lines[@]}" = 1 ]
		[[ $stderr == *nosuchsvc* ]]
	done
	run sv status b nosuchsvc
	[ "$status" = 4 ]
	run sv status a nosuchsvc
	[ "$status" = 4 ]
}

@test "exit 4: no live init on RUNDIR" {
	run --separate-stderr "$BIN/svctl" -r "$T/nowhere" status
	[ "$status" = 4 ]
	[ -n "$stderr" ]
	run "$BIN/svctl" -r "$T/nowhere" up a
	[ "$status" = 4 ]
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	kill -KILL "$INIT_PID"
	wait_gone "$INIT_PID"
	wait "$INIT_PID" || true
	INIT_PID=
	# stale RUNDIR: files still there, pid not locked
	[ -e "$RUN/pid" ]
	run timeout 5 "$BIN/svctl" -r "$RUN" status
	[ "$status" = 4 ]
	run timeout 5 "$BIN/svctl" -r "$RUN" up a
	[ "$status" = 4 ]
	run timeout 5 "$BIN/svctl" -r "$RUN" -w 1 up a
	[ "$status" = 4 ]
}

@test "exit 5: a user who may not write the FIFO; status works for them" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	pid=$(svpid a)
	for cmd in up down restart term rescan; do
		args=a
		[ "$cmd" != rescan ] || args=
		run --separate-stderr as_nobody "$BIN/svctl" -r "$RUN" $cmd $args
		echo "$cmd: $status: $stderr"
		[ "$status" = 5 ]
		[ "${#stderr_lines[@]}" = 1 ]
	done
	run as_nobody "$BIN/svctl" -r "$RUN" status a
	[ "$status" = 0 ]
	[ "$(svpid a)" = "$pid" ]
}

# ---------------------------------------------------------------- the FIFO

# fifo_write: write stdin into the control FIFO (5 s deadline).
fifo_write() { timeout 5 sh -c 'cat > "$1"' sh "$RUN/control"; }
errors() { grep -c '^init:' "$INIT_OUT" || true; }

# works: init still serves a command right away.
works() {
	local old
	old=$(svpid a)
	run sv -w 3 restart a
	[ "$status" = 0 ]
	[ "$(svpid a)" != "$old" ]
	is_up_ready a
}

@test "garbage in the control FIFO: one-line errors, init keeps working" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	n=$(errors)
	# random bytes
	{ head -c 3000 /dev/urandom; echo; } | fifo_write
	wait_for 2 eval "[ \$(errors) -gt $n ]"
	works
	# NUL bytes inside a line
	n=$(errors)
	printf 'up a\0junk\n' | fifo_write
	wait_for 2 eval "[ \$(errors) -gt $n ]"
	works
	# an unknown command
	n=$(errors)
	printf 'frobnicate a\n' | fifo_write
	wait_for 2 eval "[ \$(errors) -gt $n ]"
	works
	# a very long line (100 KB, more than the pipe holds)
	n=$(errors)
	{ head -c 100000 /dev/zero | tr '\0' x; echo; } | fifo_write
	wait_for 2 eval "[ \$(errors) -gt $n ]"
	works
	# init's lines stay short (it does not echo the garbage)
	awk 'length($0) > 1000 { bad = 1 } END { exit bad }' "$INIT_OUT"
	alive "$INIT_PID"
}

@test "garbage in the control FIFO: a partial line does not wedge init" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	printf 'restart' | fifo_write
	# the next client's command may be lost with the partial line, but
	# init must serve the ones after
	wait_for 6 sv -w 1 restart a
	works
	alive "$INIT_PID"
}

@test "concurrency: 20 parallel svctl -w restart clients all exit 0" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	pids=()
	for i in $(seq 20); do
		(
			until [ -e "$T/go" ]; do sleep 0.005; done # all start together
			rc=0
			sv -w 5 restart a >/dev/null 2>&1 || rc=$?
			echo $rc >"$T/rc.$i"
		) 3>&- &
		pids+=($!)
	done
	touch "$T/go"
	for p in "${pids[@]}"; do wait "$p"; done
	for i in $(seq 20); do echo "client $i: exit $(cat "$T/rc.$i")"; done
	for i in $(seq 20); do [ "$(cat "$T/rc.$i")" = 0 ]; done
	wait_state a up
	alive "$(svpid a)"
	[ "$(svfield a restarts)" = 0 ]
}

@test "-w once on a one-shot: exit 0 when it ends well; no wait until the timeout when it fails" {
	mksvc -D good "echo ran >> $T/good.out; exit 0"
	mksvc -D bad "exit 3"
	start_init
	run sv -w 5 once good
	[ "$status" -eq 0 ]
	grep -q ran "$T/good.out"
	t0=$(now_ms)
	run sv -w 5 once bad
	# it may be seen up and ready for an instant (0), or ended with exit 3 (1)
	[ "$status" -le 1 ]
	[ $(( $(now_ms) - t0 )) -lt 3000 ]
}

@test "status -w prints the status also when the wait times out" {
	mksvc -D a "exec sleep 1000"
	start_init
	run sv -w 0.3 status a
	[ "$status" -eq 1 ]
	[[ "$output" == *"a down"* ]]
}

@test "up during shutdown is ignored: nothing starts again, init exits" {
	mksvc a "trap 'sleep 0.5; exit 0' TERM; while :; do sleep 0.1; done"
	mksvc -D b "echo started >> $T/b.out; exec sleep 1000"
	start_init
	wait_state a up
	kill -TERM "$INIT_PID"
	wait_state a stopping 2
	sv up b || true
	wait_init_exit 5
	[ "$INIT_RC" = 0 ]
	[ ! -e "$T/b.out" ]
	init_lines "b: up: ignored: shutting down" | grep -q .
}
