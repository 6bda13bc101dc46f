#!/usr/bin/env bats
# Why a service is not up: error="TEXT" on the status line and JSON
# `error`, kept until the service is next up and ready; svctl -w failures
# print it; svctl -h.

load helpers

# err NAME: the JSON error of NAME ("None" if null)
json_error() {
	sv -j status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["error"])'
}

@test "run without a shebang: backoff with error=\"run: Exec format error\"" {
	command -v python3 >/dev/null || skip "python3 not installed"
	mkdir -p "$SVS/a"
	printf 'echo no shebang\n' >"$SVS/a/run"
	chmod +x "$SVS/a/run"
	enable a
	start_init
	wait_for 3 eval 'status_line a | grep -q "error=\"run: Exec format error\"$"'
	[[ $(state a) == backoff ]]
	init_lines '^init: a: run: Exec format error$' | grep -q .
	[ "$(json_error a)" = "run: Exec format error" ]
}

@test "run not executable: fatal, error=\"run: not executable\"; cleared once up and ready" {
	mksvc a "exec sleep 1000"
	chmod 0644 "$SVS/a/run"
	start_init
	wait_state a fatal
	[[ $(status_line a) == *' error="run: not executable"' ]]
	chmod 0755 "$SVS/a/run"  # fixed in place: init starts it by itself
	wait_state a up
	[[ $(status_line a) != *error=* ]]
	run sv -j status a
	json_check "assert d[0]['error'] is None, d" <<<"$output"
}

@test "config errors: the text of init's line, without the service name" {
	mksvc a "exec sleep 1000"
	svfile a timeout-kill abc
	mksvc b "exec sleep 1000"
	svfile b user www-nobody-here
	mksvc c "exec sleep 1000"
	printf '7s' >"$SVS/c/timeout-kill"
	start_init
	wait_state a fatal
	wait_state b fatal
	wait_state c fatal
	[[ $(status_line a) == *' error="timeout-kill: invalid value '"'abc'"'"' ]]
	[[ $(status_line b) == *' error="user: unknown user '"'www-nobody-here'"'"' ]]
	init_lines "^init: a: timeout-kill: invalid value 'abc'" | grep -q .
	init_lines "^init: b: user: unknown user 'www-nobody-here'$" | grep -q .
	# a value with a unit: the line says the unit is ms
	init_lines "^init: c: timeout-kill: invalid value '7s'.*ms" | grep -q .
}

@test "error text escaped: quotes, backslashes, control bytes; JSON gives it back" {
	command -v python3 >/dev/null || skip "python3 not installed"
	mksvc a "exec sleep 1000"
	printf 'a"b\\c\td' >"$SVS/a/down-signal"
	start_init
	wait_state a fatal
	[[ $(status_line a) == *' error="down-signal: invalid value '"'"'a\"b\\c\x09d'"'"'"' ]]
	[ "$(json_error a)" = "down-signal: invalid value 'a\"b\\c	d'" ]
}

@test "svctl -w up of a fatal service prints init's reason" {
	mksvc a "exec sleep 1000"
	chmod 0644 "$SVS/a/run"
	start_init
	wait_state a fatal
	run sv -w 5 up a
	echo "$output"
	[ "$status" = 1 ]
	[ "$output" = "svctl: a: fatal: run: not executable" ]
}

@test "svctl -w once: exec failure ends the wait at once with the reason" {
	mkdir -p "$SVS/a"
	printf 'no shebang\n' >"$SVS/a/run"
	chmod +x "$SVS/a/run"
	: >"$SVS/a/down"
	enable a
	start_init
	t0=$(now_ms)
	run sv -w 20 once a
	echo "$output"
	[ "$status" = 1 ]
	[[ $output == "svctl: a: "*"run: Exec format error" ]]
	[ $(( $(now_ms) - t0 )) -lt 10000 ]
}

@test "svctl -w: a one-shot that failed says how it ended" {
	mksvc -D a "exit 3"
	svfile a notification-fd 3  # never ready: never seen up and ready
	start_init
	run sv -w 10 once a
	echo "$output"
	[ "$status" = 1 ]
	[ "$output" = "svctl: a: ended: exit=3" ]
}

@test "svctl -h lists the commands and options" {
	run ./svctl -h
	echo "$output"
	[ "$status" = 0 ]
	for w in status up down restart once term kill rescan poweroff -w -j -r; do
		[[ $output == *"$w"* ]]
	done
}

@test "status -w with no names: every service init supervises, from a service that starts first" {
	# 'first' asks at once; the others are slow to become ready
	mksvc first "$ROOT/svctl -r $RUN -w 20 status > $T/seen 2>&1; echo \$? > $T/rc; exec sleep 1000"
	for n in b c d; do
		mksvc $n "sleep 0.5; exec sleep 1000"
	done
	mksvc -D off "exec sleep 1000"
	start_init
	wait_for 25 test -s "$T/rc"
	cat "$T/seen"
	# it waited for b c d (not for `off`, wanted down), and saw them up
	grep -q '^b up ' "$T/seen"
	grep -q '^d up ' "$T/seen"
	grep -q '^off down' "$T/seen"
	[ "$(cat "$T/rc")" = 3 ]
}
