#!/usr/bin/env bats
# svctl -w: how it waits (what it holds while waiting, what it reads).

load helpers

# a service that is ready only once $T/go exists
mk_gated() {
	mksvc -D "$1" "while [ ! -e $T/go ]; do sleep 0.05; done; echo >&3; exec sleep 1000"
	svfile "$1" notification-fd 3
}

@test "-w holds no inotify instance while it waits (releasing one makes exit wait for the kernel)" {
	mk_gated a
	start_init
	wait_state a down
	"$ROOT/svctl" -r "$RUN" -w 20 up a &
	local w=$!
	track_pid "$w"
	wait_state a starting
	wait_for 3 eval "ls -l /proc/$w/fd | grep -q signalfd"
	run ls -l "/proc/$w/fd"
	echo "$output"
	[[ $output != *inotify* ]]
	touch "$T/go"
	wait "$w"
	is_up_ready a
}

@test "-w among many services: the named one is followed; removed while waiting gives exit 4" {
	local i
	for i in $(seq 10 39); do mksvc "s$i" "exec sleep 1000"; done
	mk_gated g
	start_init
	wait_state s39 up
	run sv -w 5 down s25
	[ "$status" = 0 ]
	is_state s25 down
	is_state s24 up
	run sv -w 5 up s25
	[ "$status" = 0 ]
	is_up_ready s25
	# waiting for g; g goes from SVDIR and a new service comes
	"$ROOT/svctl" -r "$RUN" -w 20 up g 2>"$T/err" &
	local w=$!
	track_pid "$w"
	wait_state g starting
	disable g
	mksvc s99 "exec sleep 1000"
	run wait "$w"
	cat "$T/err"
	[ "$status" = 4 ]
	grep -q "g: unknown service" "$T/err"
	wait_state s99 up
}

@test "-w up of a service whose need is fatal ends at once, naming the need and why" {
	mksvc db "exec sleep 1000"
	chmod 0644 "$SVS/db/run"
	mksvc web "exec sleep 1000"
	svfile web needs db
	start_init
	wait_state db fatal
	wait_state web waiting
	run sv -w 60 up web
	echo "$output"
	[ "$status" = 1 ]
	[ "$output" = "svctl: web: waits for a need that is fatal:
svctl: db: fatal: run: not executable" ]
	run sv -w 60 status web
	[ "$status" = 1 ]
	[[ $output == "svctl: web: waits for a need that is fatal:"* ]]
}
