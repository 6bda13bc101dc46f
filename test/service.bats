#!/usr/bin/env bats
# SPEC section 3: the files of a service directory, restart and backoff,
# bad service dirs, and the environment `run` gets.

load helpers

# ---------------------------------------------------------------- run

@test "run: started at init start, up and ready, output to init's stdout" {
	mksvc a "echo out-of-a; echo err-of-a >&2; exec sleep 1000"
	start_init
	wait_state a up
	pid=$(svpid a)
	alive "$pid"
	[ "$(cat /proc/$pid/comm)" = sleep ]
	wait_for 2 grep -qx out-of-a "$INIT_OUT"
	wait_for 2 grep -qx err-of-a "$INIT_OUT"
	[[ $(status_line a) =~ ^a\ up\ pid=$pid\ uptime=[0-9]+s\ ready\ restarts=0$ ]]
}

@test "run: environment: cwd, own session, stdin /dev/null, signals, fds, env" {
	export SVT_FROM_INIT=yes SVT_OVERRIDE=init
	mksvc a "exec sleep 1000"
	svfile a env/SVT_FROM_ENVDIR val
	svfile a env/SVT_OVERRIDE envdir
	start_init
	wait_state a up
	pid=$(svpid a)
	# cwd is the service dir
	[ "$(readlink /proc/$pid/cwd)" = "$(realpath "$SVS/a")" ]
	# own session and process group
	[ "$(pstat "$pid" 3)" = "$pid" ]
	[ "$(pstat "$pid" 4)" = "$pid" ]
	# stdin /dev/null, stdout/stderr = init's stdout (no logger)
	[ "$(readlink /proc/$pid/fd/0)" = /dev/null ]
	[ "$(readlink /proc/$pid/fd/1)" = "$INIT_OUT" ]
	# empty mask, nothing ignored (bash started init with INT/QUIT ignored)
	[ "$(pstatus "$pid" SigBlk)" = 0000000000000000 ]
	[ "$(pstatus "$pid" SigIgn)" = 0000000000000000 ]
	# no fd of init
	[ "$(fds "$pid")" = "0 1 2" ]
	# init's env plus env/
	env=$(tr '\0' '\n' </proc/$pid/environ)
	grep -qx SVT_FROM_INIT=yes <<<"$env"
	grep -qx SVT_FROM_ENVDIR=val <<<"$env"
	grep -qx SVT_OVERRIDE=envdir <<<"$env"
	grep -qx "SVTEST_T=$T" <<<"$env"
	[ "$(grep -c '^SVT_OVERRIDE=' <<<"$env")" = 1 ]
}

@test "run: an fd init inherited from its parent does not reach run" {
	mksvc a "exec sleep 1000"
	# like start_init, but init gets an extra fd 7 without FD_CLOEXEC
	run_clean SVTEST_T="$T" sh -c 'exec 7<"$1"; shift; exec "$@"' sh "$SVS/a/run" \
		"$BIN/init" -d "$SVDIR" -r "$RUN" >"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_state a up
	[ "$(fds "$(svpid a)")" = "0 1 2" ]
	# and init closed its copy (it passes such fds only to a -- COMMAND)
	[[ "$(ls -l "/proc/$INIT_PID/fd")" != *"$SVS/a/run"* ]]
}

# ---------------------------------------------------------------- finish

@test "finish: gets exit code and 0 after a normal exit" {
	mksvc a "exit 3"
	svfile a restart never
	mkexec a finish "echo \"\$1 \$2\" >> $T/fin"
	start_init
	wait_for 3 grep -qx '3 0' "$T/fin"
	wait_state a down
	[ "$(count_lines "$T/fin")" = 1 ]
}

@test "finish: gets -1 and the signal number after a kill" {
	mksvc a "echo \$\$ > $T/pid; exec sleep 1000"
	svfile a restart never
	mkexec a finish "echo \"\$1 \$2\" >> $T/fin"
	start_init
	wait_state a up
	kill -KILL "$(svpid a)"
	wait_for 3 grep -qx -- '-1 9' "$T/fin"
	wait_state a down
	[ "$(status_line a)" = "a down restarts=0 signal=KILL" ]
}

@test "finish: runs to its end before run starts again" {
	mksvc a "echo run >> $T/seq; exit 1"
	mkexec a finish "sleep 0.2; echo fin >> $T/seq"
	start_init
	wait_for 5 eval "[ \$(count_lines $T/seq) -ge 4 ]"
	[ "$(head -4 "$T/seq" | tr '\n' ' ')" = "run fin run fin " ]
}

@test "timeout-finish: finish is killed after that many ms" {
	mksvc a "exit 0"
	svfile a restart never
	svfile a timeout-finish 2000  # long enough to see finishing on a loaded machine
	mkexec a finish "date +%s%N > $T/finstart; echo \$\$ > $T/finpid; exec sleep 1000"
	start_init
	wait_for 3 test -s "$T/finpid"
	t0=$(( $(cat "$T/finstart") / 1000000 ))
	fp=$(cat "$T/finpid")
	wait_state a finishing 1
	wait_gone "$fp" 6
	dt=$(( $(now_ms) - t0 ))
	note "finish killed after ~${dt} ms (timeout-finish 2000)"
	[ "$dt" -ge 1900 ]
	[ "$dt" -le 5000 ]
	wait_state a down
}

@test "finish exiting 125: the service is not restarted" {
	mksvc a "echo x >> $T/starts; exit 1"
	mkexec a finish "exit 125"
	start_init
	wait_for 3 eval '[ "$(status_line a)" = "a down restarts=0 exit=1" ]'
	sleep 0.5 # nothing may happen now (a restart would come after 100 ms)
	[ "$(count_lines "$T/starts")" = 1 ]
	[ "$(status_line a)" = "a down restarts=0 exit=1" ]
}

@test "run exiting 125: the service is not restarted" {
	mksvc a "echo x >> $T/starts; exit 125"
	start_init
	wait_for 3 eval '[ "$(status_line a)" = "a down restarts=0 exit=125" ]'
	sleep 0.5 # nothing may happen now (a restart would come after 100 ms)
	[ "$(count_lines "$T/starts")" = 1 ]
	[ "$(status_line a)" = "a down restarts=0 exit=125" ]
	# still startable by hand
	sv up a
	wait_for 3 eval "[ \$(count_lines $T/starts) = 2 ]"
}

# ---------------------------------------------------------------- down

@test "down file: not started at init start; svctl up starts it" {
	mksvc -D a "echo x >> $T/starts; exec sleep 1000"
	start_init
	wait_for 2 eval '[ "$(status_line a)" = "a down restarts=0" ]'
	sleep 0.3 # nothing may start by itself
	[ ! -e "$T/starts" ]
	[ "$(status_line a)" = "a down restarts=0" ]
	sv up a
	wait_state a up
	[ "$(count_lines "$T/starts")" = 1 ]
}

@test "down file: not started when first seen after init start" {
	start_init
	mksvc -D b "echo x >> $T/starts; exec sleep 1000"
	wait_for 3 eval '[ "$(status_line b)" = "b down restarts=0" ]'
	sleep 0.3
	[ ! -e "$T/starts" ]
	sv up b
	wait_state b up
}

# ---------------------------------------------------------------- log/run

@test "log/run: stdout and stderr of run go to the logger, not to init" {
	mksvc a "echo to-log; echo err-to-log >&2; exec sleep 1000"
	mklog a "exec cat >> $T/log.out"
	start_init
	wait_state a up
	wait_for 3 grep -qx to-log "$T/log.out"
	wait_for 3 grep -qx err-to-log "$T/log.out"
	lp=$(logpid a)
	[ -n "$lp" ]
	[ "$(cat /proc/$lp/comm)" = cat ]
	not grep -q to-log "$INIT_OUT"
	pid=$(svpid a)
	# the service's stdout and the logger's stdin are the same pipe
	[[ $(readlink /proc/$pid/fd/1) == pipe:* ]]
	[ "$(readlink /proc/$pid/fd/1)" = "$(readlink /proc/$lp/fd/0)" ]
	[ "$(readlink /proc/$pid/fd/2)" = "$(readlink /proc/$lp/fd/0)" ]
	[ "$(fds "$pid")" = "0 1 2" ]
}

# ---------------------------------------------------------------- notification-fd

@test "notification-fd: starting until a newline is written, then up ready" {
	mksvc a "echo \$\$ > $T/pid; until [ -e $T/go ]; do sleep 0.02; done; echo >&3; exec sleep 1000"
	svfile a notification-fd 3
	start_init
	wait_for 3 test -s "$T/pid"
	wait_for 2 eval "[[ \$(status_line a) =~ ^a\ starting\ pid=[0-9]+\ uptime=[0-9]+s\ restarts=0$ ]]"
	sleep 0.2
	is_state a starting
	touch "$T/go"
	wait_state a up
	[[ $(status_line a) =~ ^a\ up\ pid=[0-9]+\ uptime=[0-9]+s\ ready\ restarts=0$ ]]
}

@test "notification-fd: closing it without a newline leaves the service starting" {
	mksvc a "printf x >&3; exec 3>&-; touch $T/closed; exec sleep 1000"
	svfile a notification-fd 3
	mksvc b "exec 4>&-; touch $T/closed-b; exec sleep 1000"
	svfile b notification-fd 4
	start_init
	wait_for 3 test -e "$T/closed"
	wait_for 3 test -e "$T/closed-b"
	sleep 0.3
	is_state a starting
	is_state b starting
	[[ $(status_line a) != *ready* ]]
}

@test "notification-fd: that fd is the only one besides 0-2" {
	mksvc a "echo >&5; exec sleep 1000"
	svfile a notification-fd 5
	start_init
	wait_state a up
	[ "$(fds "$(svpid a)")" = "0 1 2 5" ]
}

# ---------------------------------------------------------------- stopping

@test "timeout-kill: SIGKILL after that many ms when the stop signal is ignored" {
	mksvc a "trap '' TERM; exec sleep 1000"
	svfile a timeout-kill 300
	start_init
	wait_state a up
	pid=$(svpid a)
	t0=$(now_ms)
	sv down a
	wait_state a stopping 1
	wait_gone "$pid" 4
	dt=$(( $(now_ms) - t0 ))
	note "killed after ~${dt} ms (timeout-kill 300)"
	[ "$dt" -ge 250 ]
	[ "$dt" -le 2500 ]
	wait_for 2 eval '[ "$(status_line a)" = "a down restarts=0 signal=KILL" ]'
}

@test "stop signal goes to the whole process group" {
	mksvc a "sleep 1000 & echo \$! > $T/child; exec sleep 1000"
	start_init
	wait_state a up
	wait_for 2 test -s "$T/child"
	child=$(cat "$T/child")
	alive "$child"
	sv down a
	wait_gone "$child" 3
	wait_state a down
	[ "$(status_line a)" = "a down restarts=0 signal=TERM" ]
}

@test "down-signal: HUP and SIGUSR1 forms are used instead of TERM" {
	mksvc a "trap 'echo HUP >> $T/sig-a; exit 0' HUP; trap 'echo TERM >> $T/sig-a; exit 0' TERM; while :; do sleep 0.05; done"
	svfile a down-signal HUP
	svfile a timeout-kill 3000
	mksvc b "trap 'echo USR1 >> $T/sig-b; exit 0' USR1; trap 'echo TERM >> $T/sig-b; exit 0' TERM; while :; do sleep 0.05; done"
	svfile b down-signal SIGUSR1
	svfile b timeout-kill 3000
	start_init
	wait_state a up
	wait_state b up
	sv down a b
	wait_state a down
	wait_state b down
	[ "$(cat "$T/sig-a")" = HUP ]
	[ "$(cat "$T/sig-b")" = USR1 ]
	[ "$(status_line a)" = "a down restarts=0 exit=0" ]
	[ "$(status_line b)" = "b down restarts=0 exit=0" ]
}

@test "down-signal: a stopped service gets SIGCONT with it" {
	mksvc a "trap 'echo HUP >> $T/sig; exit 0' HUP; while :; do sleep 0.05; done"
	svfile a down-signal HUP
	svfile a timeout-kill 4000
	start_init
	wait_state a up
	pid=$(svpid a)
	kill -STOP "$pid"
	wait_for 2 eval "[ \"\$(pstat $pid 1)\" = T ]"
	t0=$(now_ms)
	sv down a
	wait_for 3 grep -qx HUP "$T/sig"
	wait_state a down
	dt=$(( $(now_ms) - t0 ))
	[ "$dt" -lt 3500 ] # before timeout-kill: it was the SIGCONT
	[ "$(status_line a)" = "a down restarts=0 exit=0" ]
}

@test "timeout-kill: SIGKILL goes to the group (a child ignoring TERM dies too)" {
	mksvc a "trap '' TERM; sleep 1000 & echo \$! > $T/child; wait"
	svfile a timeout-kill 300
	start_init
	wait_state a up
	wait_for 2 test -s "$T/child"
	pid=$(svpid a)
	child=$(cat "$T/child")
	[ "$(pstat "$child" 3)" = "$pid" ]
	sv down a
	wait_gone "$pid" 4
	wait_gone "$child" 2
	wait_state a down
}

# ---------------------------------------------------------------- restart

@test "restart always (default): restarted also after exit 0" {
	mksvc a "echo x >> $T/starts; exit 0"
	start_init
	wait_for 4 eval "[ \$(count_lines $T/starts) -ge 3 ]"
	r=$(svfield a restarts)
	[ "$r" -ge 2 ]
}

@test "restart never: not restarted after a failure" {
	mksvc a "echo x >> $T/starts; exit 1"
	svfile a restart never
	start_init
	wait_for 3 eval '[ "$(status_line a)" = "a down restarts=0 exit=1" ]'
	sleep 0.4
	[ "$(count_lines "$T/starts")" = 1 ]
	[ "$(status_line a)" = "a down restarts=0 exit=1" ]
}

@test "restart on-failure: exitcodes stop restarts, other codes and signals restart" {
	# a: exits 1 (restart), then 3 (listed in exitcodes: stop)
	mksvc a "echo x >> $T/a; [ \$(wc -l < $T/a) -ge 2 ] && exit 3; exit 1"
	svfile a restart on-failure
	svfile a exitcodes "0 3"
	# b: exit 0 with the default exitcodes (0): not restarted
	mksvc b "echo x >> $T/b; exit 0"
	svfile b restart on-failure
	# c: killed by a signal (restart), then exit 0
	mksvc c "echo x >> $T/c; [ \$(wc -l < $T/c) -ge 2 ] && exit 0; kill -KILL \$\$"
	svfile c restart on-failure
	start_init
	wait_for 3 eval '[ "$(status_line a)" = "a down restarts=1 exit=3" ]'
	wait_for 3 eval '[ "$(status_line b)" = "b down restarts=0 exit=0" ]'
	wait_for 3 eval '[ "$(status_line c)" = "c down restarts=1 exit=0" ]'
	sleep 0.3
	[ "$(count_lines "$T/a")" = 2 ]
	[ "$(count_lines "$T/b")" = 1 ]
	[ "$(count_lines "$T/c")" = 2 ]
}

# ---------------------------------------------------------------- env/ and user

@test "env/: first line sets, empty file unsets, init's env is kept" {
	export SVT_KEEP=kept SVT_UNSET=gone SVT_OVER=old
	mksvc a "env > $T/env.tmp; mv $T/env.tmp $T/env.out; exec sleep 1000"
	svfile a env/SVT_NEW "$(printf 'first\nsecond')"
	svfile a env/SVT_OVER new
	svfile a env/SVT_UNSET
	start_init
	wait_for 3 test -s "$T/env.out"
	grep -qx SVT_KEEP=kept "$T/env.out"
	grep -qx SVT_NEW=first "$T/env.out"
	grep -qx SVT_OVER=new "$T/env.out"
	not grep -q '^SVT_UNSET=' "$T/env.out"
	not grep -qx second "$T/env.out"
}

@test "user: run and finish run as that user with its groups" {
	mkdir -m 0777 "$T/out"
	mksvc a "exec sleep 1000"
	svfile a user nobody
	mkexec a finish "id -u > $T/out/fin.uid"
	start_init
	wait_state a up
	pid=$(svpid a)
	uid=$(id -u nobody) gid=$(id -g nobody)
	[ "$(pstatus "$pid" Uid)" = "$(printf '%s\t%s\t%s\t%s' $uid $uid $uid $uid)" ]
	[ "$(pstatus "$pid" Gid)" = "$(printf '%s\t%s\t%s\t%s' $gid $gid $gid $gid)" ]
	groups=$(pstatus "$pid" Groups | tr -s ' \t' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')
	[ "$groups" = "$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ')" ]
	sv down a
	wait_for 3 test -s "$T/out/fin.uid"
	[ "$(cat "$T/out/fin.uid")" = "$uid" ]
}

@test "user: USER:GROUP sets that group" {
	mksvc a "exec sleep 1000"
	svfile a user nobody:daemon
	start_init
	wait_state a up
	pid=$(svpid a)
	uid=$(id -u nobody) gid=$(getent group daemon | cut -d: -f3)
	[ "$(pstatus "$pid" Uid | cut -f1)" = "$uid" ]
	[ "$(pstatus "$pid" Gid)" = "$(printf '%s\t%s\t%s\t%s' $gid $gid $gid $gid)" ]
}

@test "user: USER, LOGNAME, HOME, SHELL from its passwd line; env/ sets or unsets them over" {
	export HOME=/root USER=root LOGNAME=root SHELL=/bin/bash
	mkdir -m 0777 "$T/out"
	for s in a b c; do
		mksvc $s "env > $T/out/$s.tmp; mv $T/out/$s.tmp $T/out/$s.env; exec sleep 1000"
	done
	svfile a user nobody
	svfile b user nobody:daemon
	svfile b env/HOME /srv/b
	svfile b env/SHELL
	start_init
	wait_for 3 eval 'test -s $T/out/a.env && test -s $T/out/b.env && test -s $T/out/c.env'
	home=$(grep '^nobody:' /etc/passwd | cut -d: -f6)
	shell=$(grep '^nobody:' /etc/passwd | cut -d: -f7)
	grep -qx "HOME=$home" "$T/out/a.env"
	grep -qx "SHELL=${shell:-/bin/sh}" "$T/out/a.env"
	grep -qx USER=nobody "$T/out/a.env"
	grep -qx LOGNAME=nobody "$T/out/a.env"
	[ "$(grep -c '^HOME=' "$T/out/a.env")" = 1 ]
	[ "$(grep -c '^USER=' "$T/out/a.env")" = 1 ]
	grep -qx HOME=/srv/b "$T/out/b.env"
	[ "$(grep -c '^HOME=' "$T/out/b.env")" = 1 ]
	not grep -q '^SHELL=' "$T/out/b.env"
	grep -qx USER=nobody "$T/out/b.env"
	grep -qx HOME=/root "$T/out/c.env"  # no user: init's own
	grep -qx USER=root "$T/out/c.env"
}

# ---------------------------------------------------------------- backoff

@test "backoff: delays 100, 200, 400, 800 ms; svctl up starts at once and resets" {
	mksvc a "date +%s%N >> $T/starts; exit 1"
	start_init
	wait_for 5 eval "[ \$(count_lines $T/starts) -ge 5 ]"
	# now waiting 1600 ms: commands are served, state is backoff
	wait_for 1 eval '[ "$(status_line a)" = "a backoff restarts=4 exit=1" ]'
	read -r g1 g2 g3 g4 <<<"$(gaps_ms "$T/starts")"
	note "gaps: $g1 $g2 $g3 $g4 ms (due 100 200 400 800)"
	[ "$g1" -ge 80 ]
	[ "$g1" -le 400 ]
	[ "$g2" -ge 180 ]
	[ "$g2" -le 550 ]
	[ "$g3" -ge 370 ]
	[ "$g3" -le 800 ]
	[ "$g4" -ge 700 ]
	[ "$g4" -le 1300 ]
	t0=$(now_ms)
	sv up a
	wait_for 2 eval "[ \$(count_lines $T/starts) -ge 6 ]"
	dt=$(( $(now_ms) - t0 ))
	note "svctl up during a 1600 ms backoff started it after ${dt} ms"
	[ "$dt" -le 500 ]
	# failures were reset: the next restart is 100 ms after
	wait_for 2 eval "[ \$(count_lines $T/starts) -ge 7 ]"
	g6=$(gaps_ms "$T/starts" | awk '{ print $6 }')
	note "gap after the up: $g6 ms (due 100)"
	# not reset, it would be 3200 ms; the bound leaves room for a loaded CI
	[ "$g6" -le 900 ]
}

@test "backoff: a run of 5 s or more resets it and restarts at once" {
	mksvc a "date +%s%N >> $T/starts; [ \$(wc -l < $T/starts) = 3 ] && sleep 5.1; exit 1"
	start_init
	wait_for 9 eval "[ \$(count_lines $T/starts) -ge 5 ]"
	read -r g1 g2 g3 g4 _ <<<"$(gaps_ms "$T/starts")"  # (a 6th start may be in)
	note "gaps: $g1 $g2 $g3 $g4 ms (due 100, 200, 5100+0, 100)"
	[ "$g3" -ge 5050 ]
	[ "$g3" -le 5350 ]
	[ "$g4" -ge 80 ]
	[ "$g4" -le 400 ]
}

@test "max-failures: fatal after that many failures; svctl up and restart clear it" {
	mksvc a "echo x >> $T/starts; exit 1"
	svfile a max-failures 3
	start_init
	wait_state a fatal 4
	[ "$(count_lines "$T/starts")" = 3 ]
	[[ $(status_line a) =~ ^a\ fatal\ restarts=2\ exit=1(\ want=(up|down))?\ error=\"fatal:\ consecutive\ failures:\ 3\"$ ]]
	sleep 0.5
	[ "$(count_lines "$T/starts")" = 3 ]
	is_state a fatal
	sv up a
	wait_for 4 eval "[ \$(count_lines $T/starts) -ge 4 ]"
	wait_state a fatal 4
	[ "$(count_lines "$T/starts")" = 6 ]
	sv restart a
	wait_for 4 eval "[ \$(count_lines $T/starts) -ge 7 ]"
	wait_state a fatal 4
	[ "$(count_lines "$T/starts")" = 9 ]
}

# ---------------------------------------------------------------- bad service dirs

# lines_about NAME: init's output lines naming service NAME.
lines_about() { grep -E "^init: $1: " "$INIT_OUT" || true; }

# good_svc: a service that must keep running through the test.
good_svc() { mksvc good "exec sleep 1000"; }
good_check() {
	wait_state good up
	[ "$(svpid good)" = "$1" ]
}

@test "bad dir: missing run -> fatal, one line; fixing it + svctl up starts it" {
	good_svc
	start_init
	wait_state good up
	gp=$(svpid good)
	mkdir "$SVS/bad"
	enable bad
	wait_state bad fatal
	sleep 0.3
	run lines_about bad
	echo "$output"
	[ "${#lines[@]}" = 1 ]
	[[ ${lines[0]} == *run* ]]
	good_check "$gp"
	mkexec bad run "exec sleep 1000"
	sv up bad
	wait_state bad up
	good_check "$gp"
}

@test "bad dir: run not executable -> fatal, one line" {
	good_svc
	mksvc bad "exec sleep 1000"
	chmod 0644 "$SVS/bad/run"
	start_init
	wait_state good up
	gp=$(svpid good)
	wait_state bad fatal
	sleep 0.3
	run lines_about bad
	echo "$output"
	[ "${#lines[@]}" = 1 ]
	[[ ${lines[0]} == *run* ]]
	good_check "$gp"
}

@test "bad dir: invalid files -> fatal, one line naming service and file each" {
	good_svc
	# name:file:content
	cases="tk:timeout-kill:abc tf:timeout-finish:abc nf:notification-fd:abc
	       ds:down-signal:NOSUCHSIG rs:restart:sometimes mf:max-failures:abc
	       ec:exitcodes:abc us:user:nosuchuser_svt"
	for c in $cases; do
		IFS=: read -r n f v <<<"$c"
		mksvc "$n" "echo x >> $T/started-$n; exec sleep 1000"
		svfile "$n" "$f" "$v"
	done
	start_init
	wait_state good up
	gp=$(svpid good)
	for c in $cases; do
		IFS=: read -r n f v <<<"$c"
		wait_state "$n" fatal
	done
	sleep 0.3
	for c in $cases; do
		IFS=: read -r n f v <<<"$c"
		run lines_about "$n"
		echo "$n ($f=$v): $output"
		[ "${#lines[@]}" = 1 ]
		[[ ${lines[0]} == *"$f"* ]]
		[ ! -e "$T/started-$n" ]
	done
	good_check "$gp"
}

@test "bad dir: exec failure -> backoff, a line naming service and run" {
	good_svc
	mkdir -p "$SVS/ex"
	printf '#!/nonexistent/interpreter\n' >"$SVS/ex/run"
	chmod 0755 "$SVS/ex/run"
	enable ex
	start_init
	wait_state good up
	gp=$(svpid good)
	wait_state ex backoff
	wait_for 2 eval '[ -n "$(lines_about ex)" ]'
	run lines_about ex
	echo "$output"
	[[ ${lines[0]} == *run* ]]
	wait_state ex backoff 2
	good_check "$gp"
	alive "$INIT_PID"
}

@test "run without log/: stdout and stderr both go to init's stdout" {
	mksvc a "echo to-out; echo to-err >&2; exec sleep 1000"
	T2=$T/out2
	run_clean SVTEST_T="$T" "$BIN/init" -d "$SVDIR" -r "$RUN" >"$T2" 2>"$INIT_OUT" </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_for 3 grep -q to-err "$T2"
	grep -q to-out "$T2"
	not grep -q to-err "$INIT_OUT"
}

@test "log/finish runs when the logger ends" {
	mksvc a "echo hi; exec sleep 1000"
	mklog a "exec cat >> $T/log.out"
	mkexec a log/finish "echo \"log-finish \$1 \$2\" >> $T/fin.out"
	start_init
	wait_for 2 eval '[ -n "$(logpid a)" ]'
	kill -9 "$(logpid a)"
	wait_for 3 grep -q "log-finish -1 9" "$T/fin.out"
	wait_for 3 eval '[ -n "$(logpid a)" ]'
}
