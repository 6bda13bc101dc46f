#!/usr/bin/env bats
# Health: systemd's notification socket (notify, READY=1, STATUS=,
# WATCHDOG=1), service watchdogs and check probes.
#
# The notification client is test/health_tools.c, built here: a C program
# starts at once even on a loaded machine, and it can send as the main
# process (exec), stay alive until told (-w), attach fds, forge credentials.

load helpers

setup_file() {
	cc -O1 -o "$BATS_FILE_TMPDIR/health_tools" "$BATS_TEST_DIRNAME/health_tools.c"
	chmod 755 "$BATS_FILE_TMPDIR"
}

setup() {
	sv_setup
	HT=$BATS_FILE_TMPDIR/health_tools
}

# barrier: a command init applies after whatever datagram was sent before
barrier() { sv -w 5 up "$1" >/dev/null; }

has_env() { tr '\0' '\n' <"/proc/$1/environ" | grep -qx -- "$2"; }

# ---------------------------------------------------------------- notify

@test "notify: NOTIFY_SOCKET for every service; starting until READY=1; STATUS= is the note" {
	mksvc a "exec sleep 1000"
	mksvc n "while [ ! -e $T/go ]; do sleep 0.05; done
exec $HT notify 'STATUS=serving \"all\"\nREADY=1' sleep 1000"
	svfile n notify
	start_init
	wait_state a up
	[ -S "$RUN/notify" ]
	[ "$(stat -c %a "$RUN/notify")" = 666 ]
	has_env "$(svpid a)" "NOTIFY_SOCKET=$RUN/notify"
	wait_state n starting
	barrier a
	[ "$(state n)" = starting ]
	touch "$T/go"
	wait_state n up
	[[ $(status_line n) == *' note="serving \"all\""'* ]]
	sv -j status n | json_check 'assert d[0]["status_text"] == "serving \"all\"", d'
	sv -j status a | json_check 'assert d[0]["status_text"] is None, d'
}

@test "notify: a child of the service counts; other processes and forged credentials do not" {
	mksvc a "exec sleep 1000"
	mksvc n "while [ ! -e $T/go ]; do sleep 0.05; done
$HT notify -w $T/release 'READY=1' &
exec sleep 1000"
	svfile n notify
	start_init
	wait_state a up
	wait_state n starting
	# from outside the service: alive while init reads it, yet ignored
	NOTIFY_SOCKET=$RUN/notify "$HT" notify -w "$T/release" READY=1 &
	track_pid $!
	# root may claim another pid: one that is no service's
	NOTIFY_SOCKET=$RUN/notify "$HT" notify -p $$ READY=1
	barrier a
	[ "$(state n)" = starting ]
	touch "$T/go"
	wait_state n up
	touch "$T/release"
}

@test "notify: garbage, oversized datagrams and passed fds leave init unharmed and hold no fd" {
	mksvc a "exec sleep 1000"
	mksvc f "exec $HT notify -f READY=1 sleep 1000"
	svfile f notify
	start_init
	wait_state f up
	wait_state a up
	local before after
	before=$(ls "/proc/$INIT_PID/fd" | wc -l)
	NOTIFY_SOCKET=$RUN/notify "$HT" flood 500
	NOTIFY_SOCKET=$RUN/notify "$HT" notify -f -b 100000 READY=1
	barrier a
	after=$(ls "/proc/$INIT_PID/fd" | wc -l)
	[ "$before" = "$after" ]
	alive "$INIT_PID"
	wait_state a up
	sv restart f
	wait_state f up
	[ "$(ls "/proc/$INIT_PID/fd" | wc -l)" = "$before" ]
}

@test "notify: systemd-notify --ready from the run script" {
	command -v systemd-notify >/dev/null || skip "systemd-notify not installed (package systemd)"
	mksvc s "systemd-notify --ready --status='up via systemd-notify'
exec sleep 1000"
	svfile s notify
	start_init
	wait_state s up
	[[ $(status_line s) == *' note="up via systemd-notify"'* ]]
}

# ---------------------------------------------------------------- watchdog

@test "watchdog: WATCHDOG_USEC/PID set; keepalives keep it up; a miss stops it as a failure" {
	mksvc w "exec $HT notify -r 100 -l $T/sent -w $T/stop WATCHDOG=1 sleep 1000"
	svfile w watchdog 2000
	svfile w max-failures 1
	start_init
	wait_state w up
	local pid
	pid=$(svpid w)
	has_env "$pid" WATCHDOG_USEC=2000000
	has_env "$pid" "WATCHDOG_PID=$pid"
	has_env "$pid" "NOTIFY_SOCKET=$RUN/notify"
	# keepalives for 6 s: three watchdog periods and past the 5 s after
	# which a run that ends counts as a success
	wait_for 30 eval '[ "$(count_lines "$T/sent")" -ge 60 ]'
	[ "$(svpid w)" = "$pid" ]
	touch "$T/stop"
	# counted as a failure: with max-failures 1 it is fatal, not restarted
	wait_state w fatal 10
	init_lines 'w: watchdog timeout' | grep -q .
	[[ $(status_line w) == *' error="fatal: consecutive failures: 1"' ]]
	not alive "$pid"
}

@test "watchdog: a newline on notification-fd after the first is a keepalive" {
	mksvc k "[ -e $T/stop ] || echo >&3
while [ ! -e $T/stop ]; do echo >&3; echo x >>$T/beats; sleep 0.1; done
exec sleep 1000"
	svfile k notification-fd 3
	svfile k watchdog 1500
	svfile k timeout-kill 100
	start_init
	wait_state k up
	local pid
	pid=$(svpid k)
	wait_for 30 eval '[ "$(count_lines "$T/beats")" -ge 30 ]'
	[ "$(svpid k)" = "$pid" ]
	touch "$T/stop"
	wait_for 10 eval 'init_lines "k: watchdog timeout" | grep -q .'
	wait_for 10 eval '[ -n "$(svpid k)" ] && [ "$(svpid k)" != "$pid" ]'
	# the new run is not ready (no first newline): the reason stays
	[[ $(status_line k) == "k starting "*' restarts=1 '*' error="watchdog timeout"' ]]
}

# ---------------------------------------------------------------- check

@test "check: ready at the first pass, failures while starting ignored; retries in a row restart" {
	mksvc c "exec sleep 1000"
	mkexec c check "echo \"\$(pwd)\" >>$T/checks; [ -e $T/ok ]"
	svfile c check-interval 200
	start_init
	wait_state c starting
	local pid
	pid=$(svpid c)
	# failing checks while starting: tried again and again, not counted
	wait_for 20 eval '[ "$(count_lines "$T/checks")" -ge 5 ]'
	[ "$(state c)" = starting ]
	[ "$(svpid c)" = "$pid" ]
	[ "$(head -1 "$T/checks")" = "$(realpath "$SVS/c")" ]
	touch "$T/ok"
	wait_state c up 10
	wait_for 5 eval '[[ $(status_line c) == *" health=ok"* ]]'
	sv -j status c | json_check 'assert d[0]["health"] == "ok", d'
	rm "$T/ok"
	wait_for 10 eval '[[ $(status_line c) == *" health=failing:"[12]* ]]'
	sv -j status c | json_check 'assert d[0]["health"] == "failing", d'
	wait_for 10 eval 'init_lines "c: check failed" | grep -q .'
	wait_for 10 eval '[ -n "$(svpid c)" ] && [ "$(svpid c)" != "$pid" ]'
	[[ $(status_line c) == "c starting "*' error="check failed"' ]]
	touch "$T/ok"
	wait_state c up 10
}

@test "check: runs as the service's user; one running too long is killed and fails" {
	mkdir -m 777 "$T/w"
	mksvc t "exec sleep 1000"
	svfile t user nobody
	mkexec t check "id -u >>$T/w/uid; [ -e $T/slow ] && { echo \$\$ >$T/w/cpid; exec sleep 1000; }; exit 0"
	svfile t check-interval 200
	svfile t check-timeout 300
	svfile t check-retries 2
	start_init
	wait_state t up 10
	wait_for 5 eval '[ -s "$T/w/uid" ]'
	[ "$(head -1 "$T/w/uid")" = 65534 ]
	local pid
	pid=$(svpid t)
	touch "$T/slow"
	wait_for 10 eval 'init_lines "t: check failed" | grep -q .'
	wait_gone "$(cat "$T/w/cpid")" 5
	wait_for 10 eval '[ -n "$(svpid t)" ] && [ "$(svpid t)" != "$pid" ]'
}

@test "check: a running check is killed at shutdown; init exits" {
	mksvc s "exec sleep 1000"
	mkexec s check "echo \$\$ >$T/cpid; exec sleep 1000"
	svfile s check-interval 100
	svfile s check-timeout 100000
	start_init
	wait_for 10 eval '[ -s "$T/cpid" ]'
	local cpid
	cpid=$(cat "$T/cpid")
	alive "$cpid"
	stop_init
	[ "$INIT_RC" = 0 ]
	not alive "$cpid"
}

@test "bad health files: fatal with one line naming the file" {
	mksvc a "exec sleep 1000"
	svfile a watchdog 0
	mksvc b "exec sleep 1000"
	svfile b check-interval abc
	mksvc c "exec sleep 1000"
	svfile c check "exit 0"
	start_init
	wait_state a fatal
	wait_state b fatal
	wait_state c fatal
	init_lines "a: watchdog: invalid value '0'" | grep -q .
	init_lines "b: check-interval: invalid value 'abc'" | grep -q .
	init_lines "c: check: not executable" | grep -q .
}

@test "check: runs with the service's limits" {
	mksvc c "exec sleep 1000"
	svfile c limits "nofile 100:200"
	mkexec c check "echo \$(ulimit -n) \$(ulimit -Hn) >$T/check.out"
	start_init
	wait_state c up 10
	[ "$(cat "$T/check.out")" = "100 200" ]
}
