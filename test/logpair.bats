#!/usr/bin/env bats
# SPEC section 3, `log/run`: the paired logger and the pipe init holds.
# The loggers here are `cat` or sh loops, so these tests do not depend on
# svlog.

load helpers

@test "logger: started before run, stdin is the service's stdout pipe" {
	mksvc a "exec sleep 1000"
	mklog a "exec cat >> $T/log.out"
	start_init
	wait_state a up
	lp=$(logpid a)
	pid=$(svpid a)
	[ -n "$lp" ]
	[ "$(cat /proc/$lp/comm)" = cat ]
	# pids are handed out in fork order: the logger was forked first
	[ "$lp" -lt "$pid" ]
	[[ $(readlink /proc/$lp/fd/0) == pipe:* ]]
	[ "$(readlink /proc/$lp/fd/0)" = "$(readlink /proc/$pid/fd/1)" ]
	# the logger is a service too: own session, no fd of init
	[ "$(pstat "$lp" 4)" = "$lp" ]
	[ "$(fds "$lp")" = "0 1 2" ]
	[ "$(readlink /proc/$lp/cwd)" = "$(realpath "$SVS/a/log")" ]
}

@test "logger killed 5 times while the service prints 3000 lines: none lost or duplicated" {
	# The service prints 6 bursts of 500 numbered lines; each burst is let
	# go right after the logger was SIGKILLed, so it is written while no
	# logger runs and must wait in the pipe init holds. The kill hits
	# `cat` while it is idle in read(): a line `cat` had read but not yet
	# written would be the logger's loss, not init's.
	mksvc a "i=1; b=0
while [ \$b -lt 6 ]; do
	until [ -e $T/go\$b ]; do sleep 0.01; done
	j=0
	while [ \$j -lt 500 ]; do echo \"line \$i\"; i=\$((i+1)); j=\$((j+1)); done
	b=\$((b+1))
done
exec sleep 1000"
	mklog a "exec cat >> $T/log.out"
	start_init
	wait_state a up
	pid=$(svpid a)
	touch "$T/go0"
	wait_for 3 eval "[ \$(count_lines $T/log.out) = 500 ]"
	for k in 1 2 3 4 5; do
		lp=$(logpid a)
		[ -n "$lp" ]
		kill -KILL "$lp"
		touch "$T/go$k"
		wait_for 5 eval "[ \$(count_lines $T/log.out) -ge $(( 500 * (k + 1) )) ]"
		wait_for 3 eval "[ -n \"\$(logpid a)\" ] && [ \"\$(logpid a)\" != $lp ]"
		[ "$(svpid a)" = "$pid" ] # the service was not touched
	done
	sleep 0.1
	seq -f 'line %g' 1 3000 | diff - "$T/log.out"
}

@test "service killed: logger keeps running (same pid), lines of both runs logged" {
	mksvc a "echo start-\$\$; exec sleep 1000"
	mklog a "exec cat >> $T/log.out"
	start_init
	wait_state a up
	lp=$(logpid a)
	pid=$(svpid a)
	wait_for 2 grep -qx "start-$pid" "$T/log.out"
	kill -KILL "$pid"
	wait_for 3 eval "[ -n \"\$(svpid a)\" ] && [ \"\$(svpid a)\" != $pid ]"
	new=$(svpid a)
	wait_for 2 grep -qx "start-$new" "$T/log.out"
	[ "$(logpid a)" = "$lp" ]
	alive "$lp"
	sv restart a
	wait_for 3 eval "[ -n \"\$(svpid a)\" ] && [ \"\$(svpid a)\" != $new ]"
	wait_for 2 eval "[ \$(count_lines $T/log.out) = 3 ]"
	[ "$(logpid a)" = "$lp" ]
}

@test "svctl down: logger reads to EOF after the service ended, nothing lost" {
	# (stderr to /dev/null: sh reports its killed sleep as "Terminated")
	mksvc a "exec 2>/dev/null; trap 'echo bye; exit 0' TERM
i=1; while [ \$i -le 2000 ]; do echo \"line \$i\"; i=\$((i+1)); done
echo \$\$ > $T/done
while :; do sleep 0.05; done"
	# a slow logger: one open per line, so the pipe still holds data
	mklog a "while IFS= read -r l; do printf '%s\n' \"\$l\" >> $T/log.out; done
echo EOF >> $T/log.out"
	start_init
	wait_state a up
	lp=$(logpid a)
	wait_for 3 test -s "$T/done"
	sv down a
	wait_state a down
	wait_gone "$lp" 3
	{ seq -f 'line %g' 1 2000; echo bye; echo EOF; } | diff - "$T/log.out"
	[ "$(status_line a)" = "a down restarts=0 exit=0" ]
	# up again: a new logger, a new run
	sv up a
	wait_state a up
	[ -n "$(logpid a)" ]
	[ "$(logpid a)" != "$lp" ]
}

@test "shutdown: loggers get EOF after their services and exit by themselves" {
	mksvc a "exec 2>/dev/null; trap 'echo bye-a; exit 0' TERM; echo hi-a; while :; do sleep 0.05; done"
	mklog a "cat >> $T/log-a.out; echo EOF >> $T/log-a.out"
	mksvc b "exec 2>/dev/null; trap 'echo bye-b; exit 0' TERM; echo hi-b; while :; do sleep 0.05; done"
	mklog b "cat >> $T/log-b.out; echo EOF >> $T/log-b.out"
	start_init
	wait_state a up
	wait_state b up
	wait_for 2 grep -qx hi-a "$T/log-a.out"
	wait_for 2 grep -qx hi-b "$T/log-b.out"
	stop_init 6
	[ "$INIT_RC" = 0 ]
	[ "$(printf 'hi-a\nbye-a\nEOF')" = "$(cat "$T/log-a.out")" ]
	[ "$(printf 'hi-b\nbye-b\nEOF')" = "$(cat "$T/log-b.out")" ]
}

@test "log as a symlink to a directory" {
	mkdir -p "$T/logdir"
	printf '#!/bin/sh\nexec cat >> %s/log.out\n' "$T" >"$T/logdir/run"
	chmod 0755 "$T/logdir/run"
	mksvc -n a "echo via-symlink; exec sleep 1000"
	ln -s "$T/logdir" "$SVS/a/log"
	enable a
	start_init
	wait_state a up
	wait_for 2 grep -qx via-symlink "$T/log.out"
	[ -n "$(logpid a)" ]
	not grep -q via-symlink "$INIT_OUT"
}

@test "log/ takes the files of a service: env/ and user" {
	mkdir -m 0777 "$T/out"
	mksvc a "echo x; exec sleep 1000"
	mklog a "echo \"\$SVT_LOGVAR\" > $T/out/logvar; id -u > $T/out/loguid; exec cat >/dev/null"
	svfile a log/env/SVT_LOGVAR hello
	svfile a log/user nobody
	start_init
	wait_state a up
	wait_for 2 test -s "$T/out/loguid"
	[ "$(cat "$T/out/logvar")" = hello ]
	[ "$(cat "$T/out/loguid")" = "$(id -u nobody)" ]
}

@test "a service and its logger each get their own env/" {
	mksvc a "echo \"svc FOO=\$FOO BAR=\$BAR\" > $T/svc.env; exec sleep 1000"
	svfile a env/FOO service
	svfile a env/BAR bar
	mklog a "echo \"log FOO=\$FOO\" > $T/log.env; exec cat > /dev/null"
	svfile a log/env/FOO logger
	start_init
	wait_for 3 test -s "$T/svc.env"
	wait_for 3 test -s "$T/log.env"
	[ "$(cat "$T/svc.env")" = "svc FOO=service BAR=bar" ]
	[ "$(cat "$T/log.env")" = "log FOO=logger" ]
}

@test "out of fds for the logger pipe: backoff with the reason, never started without it" {
	start_init
	# from now on init may hold one more fd than it does: enough for the
	# service dir, not for a pipe (2 fds), beside it or not
	local n
	n=$(( $(ls /proc/$INIT_PID/fd | wc -l) + 1 ))
	prlimit --pid "$INIT_PID" --nofile=$n:$n
	mksvc -n b "echo hello; exec sleep 1000"
	mklog b "exec cat >> $T/b.log"
	enable b
	wait_for 10 eval '[[ $(status_line b) == "b backoff "*" error=\"logger pipe: No file descriptors available\"" ]]'
	# it keeps trying (the same line again at each try), never without its logger
	wait_for 10 eval '[ "$(init_lines "b: logger pipe" | wc -l)" -ge 3 ]'
	[ -z "$(svpid b)" ]
	[ -z "$(init_lines hello)" ]
}

@test "a logger that cannot start: its service shows why until the logger is up" {
	mksvc a "exec sleep 1000"
	mkdir -p "$SVS/a/log"
	printf 'exec cat >> %s/a.log\n' "$T" >"$SVS/a/log/run"  # no #!
	chmod 0755 "$SVS/a/log/run"
	start_init
	wait_state a up
	wait_for 5 eval '[[ $(status_line a) == "a up "*" error=\"logger: run: Exec format error\"" ]]'
	sv -j status a | json_check 'assert d[0]["error"] == "logger: run: Exec format error", d'
	mklog a "exec cat >> $T/a.log"
	wait_for 10 eval '[ -n "$(logpid a)" ]'
	wait_for 5 eval '[[ $(status_line a) != *error=* ]]'
	[ "$(state a)" = up ]
}
