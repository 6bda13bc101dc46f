#!/usr/bin/env bats
# cgroup v2 limits, OOM and usage on a real kernel (the host hands no
# controllers to v2: test/cgroup.bats covers what works without them), and
# systemd's stop signals sent to PID 1. One boot of the example appliance
# with test services runs the cgroup checks and ends with `kill -38 1`
# (systemd's SIGRTMIN+4, poweroff); a short boot checks 39 (reboot); 37
# (halt) ends the watchdog boot of qemu.bats. How a boot is made and
# checked: test/qemu_helpers.bash.

load qemu_helpers

# The cgroup boot: its results are read by several tests; it boots once.
#   hog      memory-max 16M; run execs dd with a 32 MiB buffer: OOM-killed,
#            restarted with backoff
#   leak     memory-max 16M; run starts that dd as a child and lives on
#   forker   pids-max 8; a fork loop of sleepers until fork fails
#   daemon   leaves a double-forked setsid sleeper that ignores TERM
cgroup_boot() {
	S=$BATS_FILE_TMPDIR/cgroup
	if [ -e "$S/done" ]; then
		! [ -e "$S/failed" ] || { echo "the cgroup boot failed (see the first test)" >&2; return 1; }
		return 0
	fi
	scenario cgroup
	local r=$S/root/etc/sv
	mkdir -p "$r/hog" "$r/leak" "$r/forker" "$r/daemon"
	printf '#!/bin/sh\nexec dd if=/dev/zero of=/dev/null bs=32M count=1\n' >"$r/hog/run"
	printf '#!/bin/sh\ndd if=/dev/zero of=/dev/null bs=32M count=1\nexec sleep 1000\n' >"$r/leak/run"
	echo 16M >"$r/hog/memory-max"
	echo 16M >"$r/leak/memory-max"
	cat >"$r/forker/run" <<'EOF'
#!/bin/sh
# the inner shell forks until the cgroup refuses (then it dies of it)
sh -c 'while :; do sleep 1000 & done' 2>/dev/null
exec sleep 1000
EOF
	echo 8 >"$r/forker/pids-max"
	cat >"$r/daemon/run" <<'EOF'
#!/bin/sh
(setsid sh -c 'trap "" TERM; echo $$ >/tmp/daemon.pid; exec sleep 1000' </dev/null >/dev/null 2>&1 &)
exec sleep 1000
EOF
	echo 1000 >"$r/daemon/timeout-kill"
	chmod 755 "$r/hog/run" "$r/leak/run" "$r/forker/run" "$r/daemon/run"
	ln -s /etc/sv/hog "$S/root/etc/svc/hog"
	ln -s /etc/sv/leak "$S/root/etc/svc/leak"
	ln -s /etc/sv/forker "$S/root/etc/svc/forker"
	ln -s /etc/sv/daemon "$S/root/etc/svc/daemon"
	test_service '
cg=/sys/fs/cgroup
say mount $(grep " /sys/fs/cgroup " /proc/mounts | cut -d" " -f3)
wait_up svtest httpd daemon forker
say controllers $(cat $cg/svc/cgroup.subtree_control)
# (a) hog: OOM-killed and restarted; leak: its child OOM-killed, run lives
hog_ok() { svctl status hog | grep -q " restarts=[1-9].* oom=[1-9]"; }
leak_ok() { svctl status leak | grep -q " oom="; }
within 15 hog_ok
within 5 leak_ok
say hog $(svctl status hog)
say hog-events $(tr "\n" " " <$cg/svc/hog/memory.events)
say hog-max $(cat $cg/svc/hog/memory.max)
svctl -j status hog | sed "s/^/JSON /"
svctl down hog
say leak $(svctl status leak)
say leak-events $(tr "\n" " " <$cg/svc/leak/memory.events)
# (b) forker: the loop ends at the limit
within 10 grep -q "^max [1-9]" $cg/svc/forker/pids.events
within 5 test -s /tmp/daemon.pid
say forker-max $(cat $cg/svc/forker/pids.max)
say forker-events $(cat $cg/svc/forker/pids.events)
say forker-current $(cat $cg/svc/forker/pids.current)
say forker-procs $(wc -l <$cg/svc/forker/cgroup.procs)
fpids=$(cat $cg/svc/forker/cgroup.procs | tr "\n" " ")
# (c) mem= and cpu= in status; (d) top
svctl status httpd forker daemon svtest | sed "s/^/STATUS /"
svctl top -n 1 | sed "s/^/TOP /"
say top-exit $?
# (b) and (e): down leaves nothing
dpid=$(cat /tmp/daemon.pid)
say daemon-pid $dpid $(cat /proc/$dpid/status | grep -E "^(PPid|NSpid)" | tr "\n\t" "  ")
say daemon-sid $(cut -d" " -f6 /proc/$dpid/stat) daemon-run $(svpid daemon)
svctl down forker daemon
down_ok() { svctl status forker daemon | grep -c " down " | grep -qx 2; }
within 10 down_ok
svctl status forker daemon | sed "s/^/DOWN /"
left=
for p in $fpids $dpid; do [ -e /proc/$p ] && left="$left $p"; done
say left "$left"
say forker-after $(wc -l <$cg/svc/forker/cgroup.procs)
say daemon-after $(wc -l <$cg/svc/daemon/cgroup.procs)
say poweroff $(uptime_s)
kill -38 1
'
	# one boot for all the tests that read it, even when it failed
	boot 2>"$S/boot.err" || touch "$S/failed"
	touch "$S/done"
	! [ -e "$S/failed" ] || { cat "$S/boot.err" >&2; return 1; }
}

@test "cgroup boot: cgroup2 mounted by init, controllers handed to services" {
	cgroup_boot
	ended_with "Power down"
	[ "$(value mount)" = cgroup2 ] || { echo "/sys/fs/cgroup: '$(value mount)'" >&2; return 1; }
	local c
	c=$(value controllers)
	[[ $c == *memory* && $c == *pids* ]] || { echo "svc/ subtree_control: '$c'" >&2; return 1; }
}

@test "memory-max: a service allocating past it is OOM-killed and restarted, oom= in status" {
	cgroup_boot
	local l
	l=$(value hog)
	[ "$(value hog-max)" = 16777216 ] || { echo "memory.max: '$(value hog-max)'" >&2; return 1; }
	[[ $l == *" oom="[1-9]* && $l == *" restarts="[1-9]* && $l == *"signal=KILL"* ]] || {
		echo "hog: '$l'" >&2; echo "memory.events: $(value hog-events)" >&2; return 1; }
	# the error shows until it is up again (only while in backoff)
	[[ $l != "hog backoff"* || $l == *'error="out of memory"'* ]] || { echo "hog: '$l'" >&2; return 1; }
	out | grep -q '^JSON .*"oom_kills":[1-9]' || { echo "JSON:" >&2; out | grep '^JSON' >&2; return 1; }
}

@test "memory-max: a child OOM-killed while run lives shows at once: oom=1, error" {
	cgroup_boot
	local l
	l=$(value leak)
	[[ $l == "leak up "*" oom=1 "*'error="out of memory"'* ]] || {
		echo "leak: '$l'" >&2; echo "memory.events: $(value leak-events)" >&2; return 1; }
}

@test "pids-max: a fork loop stays within the limit, down leaves nothing" {
	cgroup_boot
	[ "$(value forker-max)" = 8 ] || { echo "pids.max: '$(value forker-max)'" >&2; return 1; }
	[[ $(value forker-events) == "max "[1-9]* ]] || {
		echo "pids.events: '$(value forker-events)' (no fork refused)" >&2; return 1; }
	local n
	n=$(value forker-current)
	[ "$n" -ge 2 ] && [ "$n" -le 8 ] || { echo "pids.current: '$n'" >&2; return 1; }
	n=$(value forker-procs)
	[ "$n" -ge 2 ] && [ "$n" -le 8 ] || { echo "processes in the cgroup: '$n'" >&2; return 1; }
	out | grep -q '^DOWN forker down ' || { echo "forker not down:" >&2; out | grep '^DOWN' >&2; return 1; }
	[ "$(value forker-after)" = 0 ] || { echo "left in forker's cgroup: $(value forker-after)" >&2; return 1; }
}

@test "status shows mem= and cpu= of a running service; top -n 1 sorts by memory" {
	cgroup_boot
	local n
	for n in httpd forker daemon svtest; do
		out | grep -qE "^STATUS $n up .* mem=[0-9]+ cpu=[0-9]+\.[0-9]" || {
			echo "no mem=/cpu= for $n:" >&2; out | grep '^STATUS' >&2; return 1; }
	done
	[ "$(value top-exit)" = 0 ] || { echo "top exit: $(value top-exit)" >&2; return 1; }
	out | grep -qx 'TOP NAME PID MEM CPU' || { echo "no header:" >&2; out | grep '^TOP' >&2; return 1; }
	local rows
	rows=$(out | sed -n 's/^TOP \([^ ]*\) \([0-9]*\) \([0-9]*\) \([0-9.]*\)$/\1 \3/p')
	echo "$rows" | grep -q '^httpd ' || { echo "httpd not in top:" >&2; out | grep '^TOP' >&2; return 1; }
	[ "$(echo "$rows" | wc -l)" -ge 5 ] || { echo "top rows:" >&2; out | grep '^TOP' >&2; return 1; }
	# biggest first
	echo "$rows" | awk 'NR > 1 && $2 > prev { bad = 1 } { prev = $2 } END { exit bad }' || {
		echo "top not sorted by memory:" >&2; out | grep '^TOP' >&2; return 1; }
}

@test "a double-forked setsid daemon that ignores TERM is gone after svctl down" {
	cgroup_boot
	local l pid sid run
	l=$(value daemon-pid)
	pid=${l%% *}
	[ -n "$pid" ] || { echo "no daemon pid" >&2; return 1; }
	# it escaped: re-parented to init, a session of its own
	[[ $l == *"PPid: 1 "* ]] || { echo "daemon: '$l'" >&2; return 1; }
	l=$(value daemon-sid)
	sid=${l%% *} run=${l##* }
	[ "$sid" = "$pid" ] && [ "$run" -gt 1 ] && [ "$sid" != "$run" ] || { echo "daemon-sid: '$l' (daemon $pid)" >&2; return 1; }
	out | grep -q '^DOWN daemon down ' || { echo "daemon not down:" >&2; out | grep '^DOWN' >&2; return 1; }
	[ "$(value left)" = "" ] || { echo "left running: '$(value left)'" >&2; return 1; }
	[ "$(value daemon-after)" = 0 ] || { echo "left in daemon's cgroup: $(value daemon-after)" >&2; return 1; }
}

@test "kill -38 1 (SIGRTMIN+4): services stopped, rc.shutdown run, powered off" {
	cgroup_boot
	ended_with "Power down"
	got "SVTEST poweroff" || { echo "the test service did not finish" >&2; return 1; }
	got "svtest got TERM" || { echo "svtest was not stopped with TERM" >&2; return 1; }
	got "SVTEST rc.shutdown ran" || { echo "rc.shutdown did not run" >&2; return 1; }
}

@test "kill -39 1 (SIGRTMIN+5): services stopped, rebooted (qemu -no-reboot exits)" {
	scenario sig39
	test_service '
wait_up svtest
kill -39 1
'
	boot
	ended_with "Restarting system"
	got "svtest got TERM" || { echo "services were not stopped" >&2; return 1; }
	got "SVTEST rc.shutdown ran" || { echo "rc.shutdown did not run" >&2; return 1; }
}
