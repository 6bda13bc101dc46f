#!/usr/bin/env bats
# SPEC section 5: the PID-1 duties of init.
#   container mode: init is PID 1 of a fresh PID namespace
#                   (unshare --pid --fork --mount-proc --kill-child ./init)
#   nested mode:    init started from the test, not PID 1 (child subreaper)
# Covered: -- COMMAND (exit status, forwarded signals), signal state of the
# command and services, reaping orphans, ending strays, shutdown order and
# timing, stop signals to PID 1, a full stdout, /etc/rc.boot and
# /etc/rc.shutdown (seen through an overlay in a private mount namespace:
# the host's /etc is never touched).

load helpers
load pid1_helpers

setup_file() {
	export TOOLS=$BATS_FILE_TMPDIR/pid1_tools
	cc -O1 -o "$TOOLS" "$BATS_TEST_DIRNAME/pid1_tools.c"
}

# run_init ARGS...: run $BIN/init ARGS in the foreground (nested), at most
# 10 s; RC = its exit status, $T/o and $T/e its stdout and stderr.
run_init() {
	RC=0
	SVTEST_T=$T timeout -k 1 10 "$BIN/init" "$@" >"$T/o" 2>"$T/e" </dev/null 3>&- || RC=$?
}

# run_cinit ARGS...: the same with init as PID 1 of a new PID namespace.
run_cinit() {
	RC=0
	SVTEST_T=$T timeout -k 1 10 unshare --pid --fork --mount-proc --kill-child \
		"$BIN/init" "$@" >"$T/o" 2>"$T/e" </dev/null 3>&- || RC=$?
}

# ------------------------------------------------------------ -- COMMAND

@test "-- COMMAND: exit codes 0..255 pass through (nested)" {
	local i bad=
	for i in $(seq 0 255); do
		run_init -d "$T/none" -r "$T/run$i" -- sh -c "exit $i"
		[ "$RC" = "$i" ] || bad+=" $i:$RC"
	done
	[ -z "$bad" ] || { echo "want:got$bad"; false; }
}

@test "-- COMMAND: exit codes pass through (container)" {
	local i bad=
	for i in 0 1 2 42 126 127 128 200 255; do
		run_cinit -d "$T/none" -r "$T/run$i" -- sh -c "exit $i"
		[ "$RC" = "$i" ] || bad+=" $i:$RC"
	done
	[ -z "$bad" ] || { echo "want:got$bad"; cat "$T/e"; false; }
}

@test "-- COMMAND: killed by signal N gives 128+N (nested and container)" {
	ulimit -c 0
	local n bad=
	for n in 1 2 3 6 9 10 11 12 13 14 15; do
		run_init -d "$T/none" -r "$T/run$n" -- sh -c "kill -$n \$\$; sleep 5"
		[ "$RC" = $((128 + n)) ] || bad+=" nested:$n:$RC"
	done
	for n in 2 9 15; do
		run_cinit -d "$T/none" -r "$T/crun$n" -- sh -c "kill -$n \$\$; sleep 5"
		[ "$RC" = $((128 + n)) ] || bad+=" container:$n:$RC"
	done
	[ -z "$bad" ] || { echo "mode:signal:status$bad"; false; }
}

@test "-- COMMAND: not found gives 127 and one line on stderr" {
	local cmd
	for cmd in "$T/no/such/prog" no-such-prog-pid1; do
		run_init -d "$T/none" -r "$T/run" -- "$cmd" arg
		echo "$cmd: status $RC, stderr: $(cat "$T/e")"
		[ "$RC" = 127 ]
		[ "$(count_lines "$T/e")" = 1 ]
		grep -q "${cmd##*/}" "$T/e"
	done
	run_cinit -d "$T/none" -r "$T/crun" -- "$T/no/such/prog"
	echo "container: status $RC, stderr: $(cat "$T/e")"
	[ "$RC" = 127 ]
	[ "$(count_lines "$T/e")" = 1 ]
}

@test "-- COMMAND: not executable gives 126 and one line on stderr" {
	printf '#!/bin/sh\nexit 0\n' >"$T/noexec"
	chmod 0644 "$T/noexec"
	mkdir "$T/adir"
	local cmd
	for cmd in "$T/noexec" "$T/adir"; do
		run_init -d "$T/none" -r "$T/run" -- "$cmd"
		echo "$cmd: status $RC, stderr: $(cat "$T/e")"
		[ "$RC" = 126 ]
		[ "$(count_lines "$T/e")" = 1 ]
		grep -q "${cmd##*/}" "$T/e"
	done
}

# forwarding MODE: each forwarded signal reaches the command once, in
# order; init acts on none of them (it keeps running, the service is not
# touched, even after TERM and INT that the command survives).
forwarding() {
	mksvc a "exec sleep 1000"
	p1_start "$1" -- "$TOOLS" sigrec -x USR2 "$T/sigs"
	wait_for 5 test -e "$T/sigs.ready"
	wait_state a up
	local apid n=0 s
	apid=$(svpid a)
	for s in TERM INT HUP QUIT USR1 WINCH; do
		kill -s "$s" "$P1_PID"
		n=$((n + 1))
		wait_for 3 p1_lines "$T/sigs" "$n" || {
			echo "SIG$s did not reach the command; it got: $(cat "$T/sigs")"
			return 1
		}
	done
	alive "$P1_PID"
	wait_state a up
	[ "$(svpid a)" = "$apid" ]
	kill -s USR2 "$P1_PID"
	p1_wait_exit 5
	printf '%s\n' TERM INT HUP QUIT USR1 WINCH USR2 | diff - "$T/sigs"
	[ "$P1_RC" = 0 ]
}

@test "-- COMMAND: forwarded signals arrive once, init does not act on them (nested)" {
	forwarding nested
}

@test "-- COMMAND: forwarded signals arrive once, init does not act on them (container)" {
	forwarding container
}

# early_signal MODE: SIGUSR1 sent as soon as init runs (signals blocked)
# is not lost: the command records it (exit 0) or, if it came before the
# command set up its handler, dies of it (128+10).
early_signal() {
	local i
	for i in 1 2 3 4 5; do
		p1_spawn "$1" -- "$TOOLS" sigrec -x USR1 "$T/sigs$i"
		kill -USR1 "$P1_PID"
		p1_wait_exit 5 || { echo "run $i: the SIGUSR1 was lost"; return 1; }
		case $P1_RC in
		0) [ "$(cat "$T/sigs$i")" = USR1 ] ;;
		138) ;;
		*) echo "run $i: init exited $P1_RC"; cat "$INIT_OUT"; return 1 ;;
		esac
	done
}

@test "-- COMMAND: a signal sent right after start is not lost (nested)" {
	early_signal nested
}

@test "-- COMMAND: a signal sent right after start is not lost (container)" {
	early_signal container
}

# clean_masks MODE: init started by a parent that ignores and blocks
# signals; the command and a service get an empty mask and ignore nothing.
# (No shell in between: dash may clear its mask.)
clean_masks() {
	local want=$'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000'
	mksvc s "exec grep -E '^Sig(Blk|Ign):' /proc/self/status >'$T/svc.sig'"
	svfile s restart never
	P1_WRAP=("$TOOLS" sigwrap)
	p1_spawn "$1" -- "$TOOLS" after "$T/svc.sig" grep -E '^Sig(Blk|Ign):' /proc/self/status
	p1_wait_exit 10
	echo "command: $(grep -E '^Sig' "$INIT_OUT")"
	echo "service: $(cat "$T/svc.sig")"
	[ "$P1_RC" = 0 ]
	[ "$(grep -E '^Sig' "$INIT_OUT")" = "$want" ]
	[ "$(cat "$T/svc.sig")" = "$want" ]
}

@test "command and service: empty signal mask, nothing ignored, whatever init inherited (nested)" {
	clean_masks nested
}

@test "command and service: empty signal mask, nothing ignored, whatever init inherited (container)" {
	clean_masks container
}

# ------------------------------------------------------------ reaping

# count_children PPID COMM: live children of PPID named COMM
count_children() {
	local d st c n=0
	for d in /proc/[0-9]*; do
		read -r st 2>/dev/null <"$d/stat" || continue
		c=${st#*(}
		c=${c%) *}
		set -- "$1" "$2" ${st##*) }
		[ "$4" = "$1" ] && [ "$c" = "$2" ] && [ "$3" != Z ] && n=$((n + 1))
	done
	echo "$n"
}

has_children() { [ "$(count_children "$1" "$2")" -ge "$3" ]; }

# orphans MODE: 1000 orphans re-parented to init exit at once; no zombie
# is left.
orphans() {
	mkfifo "$T/hold"
	exec 7<>"$T/hold"
	local tool=${TOOLS##*/}
	if [ "$1" = nested ]; then
		mksvc o "'$TOOLS' orphans 1000 '$T/hold'; exec sleep 1000"
		p1_start nested
	else
		p1_start container -- sh -c "'$TOOLS' orphans 1000 '$T/hold'; exec sleep 1000"
	fi
	wait_for 10 has_children "$P1_PID" "$tool" 1000 || {
		echo "only $(count_children "$P1_PID" "$tool") orphans re-parented to init"
		exec 7>&-
		return 1
	}
	exec 7>&-
	wait_for 5 p1_no_zombies "$P1_PID"
	alive "$P1_PID"
	[ "$(count_children "$P1_PID" "$tool")" = 0 ]
}

@test "orphans: 1000 orphans of a service exiting at once are reaped (nested)" {
	orphans nested
}

@test "orphans: 1000 orphans of the command exiting at once are reaped (container)" {
	orphans container
}

# ------------------------------------------------------------ strays

@test "nested: init makes itself child subreaper (a double-forked grandchild gets init as parent)" {
	mksvc a "sh -c 'sleep 1000 & echo \$! >\"$T/gc\"'; exec sleep 1000"
	p1_start nested
	wait_for 3 test -s "$T/gc"
	local gc
	gc=$(cat "$T/gc")
	track_pid "$gc"
	wait_for 3 eval "[ \"\$(p1_ppid $gc)\" = $P1_PID ]"
}

@test "nested: strays of services are ended before init exits; a sibling outside its tree survives" {
	SVTEST_T=$T sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	local sib=$! p pids=()
	track_pid "$sib"
	mksvc keep "(setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo \$! >'$T/stray1')
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
echo \$! >'$T/stray2'
exec sleep 1000"
	mksvc gone "(setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo \$! >'$T/stray3')
exit 0"
	svfile gone restart never
	p1_start nested
	wait_for 3 eval "[ -s '$T/stray1' ] && [ -s '$T/stray2' ] && [ -s '$T/stray3' ]"
	wait_state keep up
	wait_state gone down
	for p in stray1 stray2 stray3; do
		pids+=("$(cat "$T/$p")")
	done
	for p in "${pids[@]}"; do
		alive "$p"
	done
	# the double-forked ones were re-parented to init
	[ "$(p1_ppid "${pids[0]}")" = "$P1_PID" ]
	[ "$(p1_ppid "${pids[2]}")" = "$P1_PID" ]
	kill -TERM "$P1_PID"
	p1_wait_exit 5
	for p in "${pids[@]}"; do
		! alive "$p" || { echo "stray $p still alive after init exited"; false; }
	done
	alive "$sib"
	[ "$P1_RC" = 0 ]
}

@test "container: strays get SIGTERM, then SIGKILL after 3 s, before init exits" {
	mksvc a "setsid '$TOOLS' sigrec -x TERM '$T/stray' </dev/null >/dev/null 2>&1 &
setsid sh -c \"trap '' TERM; : >'$T/stubborn'; exec sleep 1000\" </dev/null >/dev/null 2>&1 &
exec sleep 1000"
	p1_start container
	wait_for 3 test -e "$T/stray.ready"
	wait_for 3 test -e "$T/stubborn"
	local t0 dt
	t0=$(now_ms)
	kill -TERM "$P1_PID"
	p1_wait_exit 8
	dt=$(($(now_ms) - t0))
	echo "shutdown took ${dt} ms; stray got: $(cat "$T/stray" 2>/dev/null)"
	[ "$(cat "$T/stray")" = TERM ]
	(( dt >= 2800 && dt <= 4500 ))
	[ "$P1_RC" = 0 ]
}

# ------------------------------------------------------------ shutdown

@test "shutdown: a service ignoring SIGTERM gets SIGKILL after timeout-kill (1500 ms)" {
	mksvc a "trap '' TERM; : >'$T/ready'; exec sleep 1000"
	svfile a timeout-kill 1500
	p1_start nested
	wait_state a up
	wait_for 3 test -e "$T/ready"
	local t0 dt
	t0=$(now_ms)
	kill -TERM "$P1_PID"
	p1_wait_exit 6
	dt=$(($(now_ms) - t0))
	echo "shutdown took ${dt} ms"
	(( dt >= 1500 && dt <= 2500 ))
	[ "$P1_RC" = 0 ]
}

# stop_all MODE SIG: SIG to init stops every service (finish runs once,
# no restart) and init exits 0.
stop_all() {
	local n p
	for n in a b; do
		mksvc "$n" "echo \$\$ >>'$T/$n.starts'; exec sleep 1000"
		mkexec "$n" finish "echo \"\$1 \$2\" >>'$T/$n.finish'"
	done
	p1_start "$1"
	wait_state a up
	wait_state b up
	local pa pb
	pa=$(svpid a)
	pb=$(svpid b)
	kill -s "$2" "$P1_PID"
	p1_wait_exit 5
	[ "$P1_RC" = 0 ]
	for n in a b; do
		echo "$n: starts $(count_lines "$T/$n.starts"), finish: $(cat "$T/$n.finish" 2>/dev/null)"
		[ "$(cat "$T/$n.finish")" = "-1 15" ]
		[ "$(count_lines "$T/$n.starts")" = 1 ]
	done
	if [ "$1" = nested ] && { alive "$pa" || alive "$pb"; }; then
		echo "a service is still alive after init exited"
		false
	fi
}

@test "SIGTERM stops everything and exits 0 (nested)" {
	stop_all nested TERM
}

@test "SIGINT stops everything and exits 0 (nested)" {
	stop_all nested INT
}

@test "SIGTERM stops everything and exits 0 (container)" {
	stop_all container TERM
}

@test "SIGINT stops everything and exits 0 (container)" {
	stop_all container INT
}

# hup_rescan MODE: a service added, then SIGHUP: it is up at once; init
# keeps running and leaves the others alone.
hup_rescan() {
	mksvc a "exec sleep 1000"
	p1_start "$1"
	wait_state a up
	local apid
	apid=$(svpid a)
	mksvc b "exec sleep 1000"
	kill -HUP "$P1_PID"
	wait_state b up 1
	alive "$P1_PID"
	[ "$(svpid a)" = "$apid" ]
	kill -TERM "$P1_PID"
	p1_wait_exit 5
	[ "$P1_RC" = 0 ]
}

@test "SIGHUP rescans, init keeps running (nested)" {
	hup_rescan nested
}

@test "SIGHUP rescans, init keeps running (container)" {
	hup_rescan container
}

@test "shutdown: a second SIGTERM during shutdown does not restart it" {
	mksvc a "echo x >>'$T/starts'; trap '' TERM; exec sleep 1000"
	svfile a timeout-kill 1000
	mkexec a finish "echo \"\$1 \$2\" >>'$T/finish'"
	mksvc b "exec sleep 1000"
	p1_start nested
	wait_state a up
	wait_state b up
	local bpid t0 dt
	bpid=$(svpid b)
	t0=$(now_ms)
	kill -TERM "$P1_PID"
	wait_gone "$bpid" 2 # shutdown is under way
	kill -TERM "$P1_PID"
	kill -INT "$P1_PID"
	p1_wait_exit 5
	dt=$(($(now_ms) - t0))
	echo "took ${dt} ms; starts: $(count_lines "$T/starts"); finish: $(cat "$T/finish" 2>/dev/null)"
	[ "$P1_RC" = 0 ]
	[ "$(count_lines "$T/starts")" = 1 ]
	[ "$(cat "$T/finish")" = "-1 9" ]
	[ "$dt" -le 2500 ]
}

# logged_service: service a writes 100 lines when it gets SIGTERM, then
# records svc-end in $T/order; its logger copies everything to
# $T/log.out and records log-end when it sees EOF. With $1 = stray, the
# service also starts a stray (own session) that records TERM in $T/order.
logged_service() {
	local stray=
	[ "${1:-}" != stray ] ||
		stray="setsid '$TOOLS' sigrec -x TERM '$T/order' </dev/null >/dev/null 2>&1 &"
	mksvc a "exec 2>/dev/null # no job messages of sh in the log
$stray
trap 'i=0; while [ \$i -lt 100 ]; do echo \"bye \$i\"; i=\$((i + 1)); done; echo svc-end >>\"$T/order\"; exit 0' TERM
echo hello
sleep 1000 &
wait \$!"
	mklog a "cat >'$T/log.out'; echo log-end >>'$T/order'"
}

check_log() {
	echo "order: $(cat "$T/order" 2>/dev/null | tr '\n' ' ')"
	echo "log: $(count_lines "$T/log.out") lines, last: $(tail -1 "$T/log.out")"
	[ "$(count_lines "$T/log.out")" = 101 ]
	[ "$(head -1 "$T/log.out")" = hello ]
	[ "$(tail -1 "$T/log.out")" = "bye 99" ]
}

@test "shutdown: the logger ends after its service and gets every line" {
	logged_service
	p1_start nested
	wait_for 3 grep -qx hello "$T/log.out"
	kill -TERM "$P1_PID"
	p1_wait_exit 5
	check_log
	printf '%s\n' svc-end log-end | diff - "$T/order"
	[ "$P1_RC" = 0 ]
}

@test "container: order is services, loggers, /etc/rc.shutdown, then SIGTERM to the rest" {
	mkdir "$T/etc"
	printf '#!/bin/sh\necho rc-shutdown >>"%s"\n' "$T/order" >"$T/etc/rc.shutdown"
	chmod 0755 "$T/etc/rc.shutdown"
	p1_etc_wrap "$T/etc"
	logged_service stray
	p1_start container
	wait_for 3 grep -qx hello "$T/log.out"
	wait_for 3 test -e "$T/order.ready"
	kill -TERM "$P1_PID"
	p1_wait_exit 8
	check_log
	printf '%s\n' svc-end log-end rc-shutdown TERM | diff - "$T/order"
	[ "$P1_RC" = 0 ]
}

# SPEC 5 lists /etc/rc.boot under machine mode only; container mode does
# not run it (rc.shutdown it does, see above).
@test "container: /etc/rc.boot is not run (machine mode only)" {
	mkdir "$T/etc"
	printf '#!/bin/sh\necho rc-boot >>"%s"\n' "$T/order" >"$T/etc/rc.boot"
	chmod 0755 "$T/etc/rc.boot"
	p1_etc_wrap "$T/etc"
	mksvc a "echo svc-start >>'$T/order'; exec sleep 1000"
	p1_start container
	wait_state a up
	kill -TERM "$P1_PID"
	p1_wait_exit 5
	[ "$P1_RC" = 0 ]
	echo "order: $(tr '\n' ' ' <"$T/order")"
	[ "$(cat "$T/order")" = svc-start ]
}

@test "nested: /etc/rc.boot and /etc/rc.shutdown are not run" {
	mkdir "$T/etc"
	printf '#!/bin/sh\necho rc-boot >>"%s"\n' "$T/order" >"$T/etc/rc.boot"
	printf '#!/bin/sh\necho rc-shutdown >>"%s"\n' "$T/order" >"$T/etc/rc.shutdown"
	chmod 0755 "$T/etc/rc.boot" "$T/etc/rc.shutdown"
	p1_etc_wrap "$T/etc"
	P1_WRAP=(unshare --mount "${P1_WRAP[@]}")
	mksvc a "echo svc-start >>'$T/order'; exec sleep 1000"
	p1_start nested
	wait_state a up
	kill -TERM "$P1_PID"
	p1_wait_exit 5
	[ "$P1_RC" = 0 ]
	echo "order: $(tr '\n' ' ' <"$T/order")"
	[ "$(cat "$T/order")" = svc-start ]
}

# ------------------------------------------------------------ stop signals

# never_stopped MODE: SIGTSTP, SIGTTIN, SIGTTOU to init never stop it; it
# still serves svctl.
never_stopped() {
	mksvc a "exec sleep 1000"
	p1_start "$1"
	wait_state a up
	local s old st
	for s in TSTP TTIN TTOU; do
		old=$(svpid a)
		kill -s "$s" "$P1_PID"
		sv -w 3 restart a || { echo "svctl restart failed after SIG$s"; return 1; }
		wait_state a up
		[ "$(svpid a)" != "$old" ]
		st=$(p1_state "$P1_PID")
		echo "after SIG$s: state $st"
		[[ $st != [Tt] ]]
	done
	kill -TERM "$P1_PID"
	p1_wait_exit 5
	[ "$P1_RC" = 0 ]
}

@test "SIGTSTP, SIGTTIN, SIGTTOU never stop init (container)" {
	never_stopped container
}

@test "SIGTSTP, SIGTTIN, SIGTTOU never stop init (nested)" {
	never_stopped nested
}

# ------------------------------------------------------------ poweroff

poweroff_cmd() {
	mksvc a "exec sleep 1000"
	p1_start "$1" -- sleep 1000
	wait_state a up
	sv poweroff
	p1_wait_exit 5
	[ "$P1_RC" = 143 ]
}

@test "svctl poweroff with -- COMMAND: TERM to the command, exit 143 (nested)" {
	poweroff_cmd nested
}

@test "svctl poweroff with -- COMMAND: TERM to the command, exit 143 (container)" {
	poweroff_cmd container
}

@test "svctl poweroff with -- COMMAND: SIGKILL after 7 s to a command ignoring TERM, exit 137" {
	p1_start nested -- sh -c "trap '' TERM; : >'$T/ready'; exec sleep 1000"
	wait_for 3 test -e "$T/ready"
	local t0 dt
	t0=$(now_ms)
	sv poweroff
	p1_wait_exit 10
	dt=$(($(now_ms) - t0))
	echo "took ${dt} ms, status $P1_RC"
	[ "$P1_RC" = 137 ]
	(( dt >= 6800 && dt <= 8500 ))
}

# ------------------------------------------------------------ output

pipe_full() {
	local w
	w=$(cat "/proc/$1/wchan" 2>/dev/null)
	[[ $w == *pipe_write* ]] || { echo "wchan: $w"; return 1; }
}

@test "a full, unread stdout never blocks init: it serves svctl and SIGTERM ends it" {
	INIT_OUT=$T/fifo
	mkfifo "$INIT_OUT"
	mksvc noisy "exec yes 'a line of output nobody will ever read'"
	mksvc b "exec sleep 1000"
	p1_start nested
	wait_state noisy up
	wait_for 3 pipe_full "$(svpid noisy)"
	# make init write to its (full) stderr: a bad service, a bad name
	mksvc -n bad "exec sleep 1000"
	svfile bad timeout-kill abc
	enable bad
	mkdir "$SVDIR/bad name!"
	sv rescan
	wait_state bad fatal
	sv -w 3 restart b
	local t0 dt
	t0=$(now_ms)
	kill -TERM "$P1_PID"
	p1_wait_exit 5
	dt=$(($(now_ms) - t0))
	echo "exit took ${dt} ms"
	[ "$dt" -le 3000 ]
	[ "$P1_RC" = 0 ]
}

@test "-- COMMAND runs in the directory init was started in" {
	mkdir -p "$T/work"
	printf '#!/bin/sh\npwd > %s/pwd.out\n' "$T" >"$T/work/app"
	chmod +x "$T/work/app"
	(cd "$T/work" && "$BIN/init" -d /nonexistent -r "$T/run" -- ./app)
	[ "$(cat "$T/pwd.out")" = "$T/work" ]
}
