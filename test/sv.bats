#!/usr/bin/env bats
# sv: runit's control program as a name of the binary. Run scripts written
# for runit (`sv check dbus || exit 1`, `sv status NAME`) run unchanged;
# runit's words, output and exit codes.

load helpers

setup() {
	sv_setup
	export SVRUN=$RUN  # sv finds init as svctl does
	PATH=$BIN:$PATH
}

# rsv ARGS...: sv ARGS, output and status in $output / $status
# (helpers' own `sv` function is svctl)
rsv() { run "$BIN/sv" "$@"; echo "sv $*: $status: $output"; }

@test "sv is a name of the binary, and 'init sv' works too" {
	[ -L "$BIN/sv" ] || [ -x "$BIN/sv" ]
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	rsv status a
	[ "$status" = 0 ]
	[[ $output =~ ^run:\ a:\ \(pid\ [0-9]+\)\ [0-9]+s$ ]]
	run "$BIN/init" sv status a
	[[ $output == "run: a: (pid "* ]]
}

@test "runit run scripts calling 'sv check dbus || exit 1' and 'sv status' wait for dbus, then run" {
	mksvc -D dbus "sleep 0.3; echo >&3; exec sleep 1000"
	svfile dbus notification-fd 3
	mksvc avahi "sv check dbus >/dev/null || exit 1
sv status dbus >'$T/avahi.saw'
exec sleep 1000"
	start_init
	# dbus is down (down file): check is satisfied with that...
	wait_for 5 test -s "$T/avahi.saw"
	grep -q '^down: dbus: ' "$T/avahi.saw"
	# ...and when dbus is wanted up, check waits until it is up and ready
	rm -f "$T/avahi.saw"
	sv up dbus
	sv restart avahi
	wait_for 5 test -s "$T/avahi.saw"
	cat "$T/avahi.saw"
	[[ $(cat "$T/avahi.saw") == "run: dbus: (pid "*") "*"s, normally down" ]]
	wait_state avahi up
}

@test "sv check: exit 1 and 'timeout:' when the service does not come up in -w SEC" {
	mksvc slow "sleep 100; exec sleep 1000"
	svfile slow notification-fd 3
	start_init
	rsv -w 0.5 check slow
	[ "$status" = 1 ]
	[[ $output == "timeout: run: slow: (pid "* ]]
}

@test "sv check of a fatal service fails at once (the run script exits 1 and backs off)" {
	mksvc dbus "exec sleep 1000"
	chmod -x "$SVS/dbus/run"
	mksvc avahi "sv check dbus >>'$T/check.out' || exit 1; exec sleep 1000"
	start_init
	wait_for 5 test -s "$T/check.out"
	cat "$T/check.out"
	[[ $(head -1 "$T/check.out") == "fail: down: dbus: 0s, normally up, want up, fatal" ]]
	# its run script exits 1 right after: up until then, then backoff
	wait_state avahi backoff 5
}

@test "sv status: runit's lines, with the logger; a path names the service; exit counts failures" {
	mksvc a "exec sleep 1000"
	mklog a "exec cat"
	mksvc -D b "exec sleep 1000"
	start_init
	wait_state a up
	rsv status a b nope "$SVS/a/" ./b
	[ "$status" = 1 ]
	[[ ${lines[0]} =~ ^run:\ a:\ \(pid\ [0-9]+\)\ [0-9]+s\;\ run:\ log:\ \(pid\ [0-9]+\)\ [0-9]+s$ ]]
	[ "${lines[1]}" = "down: b: 0s" ]
	[ "${lines[2]}" = "fail: nope: unable to change to service directory" ]
	[[ ${lines[3]} == "run: $SVS/a: (pid "*"; run: log: (pid "* ]]
	[ "${lines[4]}" = "down: ./b: 0s" ]
	sv up b
	wait_state b up
	rsv status b
	[[ $output == "run: b: (pid "*") "*"s, normally down" ]]
	sv down a
	wait_state a down
	rsv status a
	[[ $output == "down: a: 0s, normally up; "*"log: "* ]]
	rsv status x y z
	[ "$status" = 3 ]
}

@test "sv up, down, restart, once, start, stop, exit and their one-letter forms; -v prints ok: lines" {
	mksvc a "exec sleep 1000"
	start_init
	wait_state a up
	rsv -v d a
	[ "$status" = 0 ]
	[ "$output" = "ok: down: a: 0s, normally up" ]
	rsv -v u a
	[[ $output == "ok: run: a: (pid "* ]]
	local p1
	p1=$(svpid a)
	rsv restart a
	[ "$status" = 0 ]
	[[ $output == "ok: run: a: (pid "* ]]
	[ "$(svpid a)" != "$p1" ]
	rsv stop a
	[ "$output" = "ok: down: a: 0s, normally up" ]
	rsv start a
	[[ $output == "ok: run: a: (pid "* ]]
	rsv -w 3 once a
	[[ $output == "ok: run: a: (pid "*", want down" ]]
	rsv exit a
	[ "$status" = 0 ]
	[ -z "$output" ]
	wait_state a down
	rsv o a
	wait_state a up
	rsv shutdown a
	[ "$output" = "ok: down: a: 0s, normally up" ]
}

@test "sv pause cont hup alarm interrupt quit 1 2 term kill send their signals" {
	mksvc a 'for s in HUP ALRM INT QUIT USR1 USR2; do trap "echo $s >>'"'$T/sigs'"'" $s; done
trap "echo TERM >>'"'$T/sigs'"'; exit 0" TERM
while :; do sleep 0.05; done'
	start_init
	wait_state a up
	local pid w
	pid=$(svpid a)
	"$BIN/sv" pause a
	wait_for 3 eval '[ "$(pstat '"$pid"' 1)" = T ]'
	"$BIN/sv" cont a
	wait_for 3 eval '[ "$(pstat '"$pid"' 1)" != T ]'
	local i=0
	for w in hup alarm interrupt quit 1 2; do  # one at a time: sh runs traps in order
		"$BIN/sv" "$w" a
		i=$((i + 1))
		wait_for 3 eval "[ \$(count_lines '$T/sigs') -ge $i ]"
	done
	wait_for 3 eval "[ \$(count_lines '$T/sigs') = 6 ]"
	[ "$(tr '\n' ' ' <"$T/sigs")" = "HUP ALRM INT QUIT USR1 USR2 " ]
	"$BIN/sv" t a
	wait_for 3 eval "grep -qx TERM '$T/sigs'"
	wait_for 3 eval '[ "$(svpid a)" != '"$pid"' ]'  # restarted
	pid=$(svpid a)
	"$BIN/sv" k a
	wait_gone "$pid"
}

@test "sv: usage errors exit 100; no live init: fail (exit 1), but ok for exit" {
	rsv
	[ "$status" = 100 ]
	rsv bogus a
	[ "$status" = 100 ]
	rsv -x status a
	[ "$status" = 100 ]
	rsv status a
	[ "$status" = 1 ]
	[ "$output" = "fail: a: runsv not running" ]
	rsv exit a
	[ "$status" = 0 ]
	[ "$output" = "ok: a: runsv not running" ]
}
