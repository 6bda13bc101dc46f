#!/usr/bin/env bats
# Containers: systemd's stop signals (37 38 39, as the kernel counts them),
# the fds the main command inherits, and init under a real engine (podman
# with runc, images made with `podman import`; see the engine section).

load helpers
load pid1_helpers

# ------------------------------------------------ systemd's signals

# rt_stop MODE SIG: SIG stops every service (finish runs once) and init
# exits 0.
rt_stop() {
	mksvc a "exec sleep 1000"
	mkexec a finish "echo \"\$1 \$2\" >>'$T/a.finish'"
	p1_start "$1"
	wait_state a up
	local pa
	pa=$(svpid a)
	kill -s "$2" "$P1_PID"
	p1_wait_exit 5
	echo "rc $P1_RC, finish: $(cat "$T/a.finish" 2>/dev/null)"
	[ "$P1_RC" = 0 ]
	[ "$(cat "$T/a.finish")" = "-1 15" ]
	not alive "$pa"
}

@test "signal 37 (systemd's SIGRTMIN+3, halt) stops everything, exit 0 (nested)" {
	rt_stop nested 37
}

@test "signal 38 (SIGRTMIN+4, poweroff) stops everything, exit 0 (nested)" {
	rt_stop nested 38
}

@test "signal 39 (SIGRTMIN+5, reboot) stops everything, exit 0 (nested)" {
	rt_stop nested 39
}

@test "signal 37 stops everything, exit 0 (container)" {
	rt_stop container 37
}

@test "signal 37 with -- COMMAND: the command gets SIGTERM, init exits with its status" {
	mksvc a "exec sleep 1000"
	p1_start container -- sh -c "trap 'exit 7' TERM; : >'$T/ready'; while :; do sleep 0.05; done"
	wait_for 3 test -e "$T/ready"
	wait_state a up
	kill -s 37 "$P1_PID"
	p1_wait_exit 5
	[ "$P1_RC" = 7 ]
}

# ------------------------------------------------ inherited fds

# not_held FILE: fail if init has FILE open.
not_held() {
	local l
	l=$(ls -l "/proc/$INIT_PID/fd")
	[[ $l != *"$1"* ]] || { echo "init holds $1: $l"; return 1; }
}

@test "-- COMMAND keeps the fds init inherited; services do not get them, init closes its copies" {
	echo secret >"$T/file"
	mkfifo "$T/pipe"
	( cat "$T/pipe" >/dev/null; : >"$T/eof" ) 3>&- &
	track_pid $!
	mksvc s "exec sleep 1000"
	SVTEST_T=$T "$BIN/init" -d "$SVDIR" -r "$RUN" -- sh -c \
		"cat <&3 >'$T/cmd.out'; exec 4>&-; exec sleep 1000" \
		3<"$T/file" 4>"$T/pipe" 5>&- 6>&- 7>&- 8>&- 9>&- >"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_state s up
	wait_for 3 test -s "$T/cmd.out"
	[ "$(cat "$T/cmd.out")" = secret ]
	# the command closed the write end: only a copy in init or a
	# service would keep the reader from its EOF
	wait_for 3 test -e "$T/eof"
	echo "service fds: $(fds "$(svpid s)")"
	[ "$(fds "$(svpid s)")" = "0 1 2" ]
	not_held "$T/file"
}

@test "without a command, inherited fds reach no service and init closes them" {
	echo x >"$T/file"
	mksvc s "exec sleep 1000"
	SVTEST_T=$T "$BIN/init" -d "$SVDIR" -r "$RUN" 3<"$T/file" 4<"$T/file" 5>&- 6>&- 7>&- 8>&- 9>&- \
		>"$INIT_OUT" 2>&1 </dev/null &
	INIT_PID=$!
	track_pid "$INIT_PID"
	wait_state s up
	[ "$(fds "$(svpid s)")" = "0 1 2" ]
	not_held "$T/file"
}
