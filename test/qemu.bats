#!/usr/bin/env bats
# Real boots: our init as PID 1 of a qemu machine, booting the example
# appliance. How a boot is made and checked: test/qemu_helpers.bash.

load qemu_helpers

# --- the shared normal boot -----------------------------------------------

# The stock appliance, checked and powered off by svtest; several tests
# read its results, it boots once (the first test that needs it).
normal_boot() {
	S=$BATS_FILE_TMPDIR/normal
	[ -e "$S/done" ] && return 0
	scenario normal
	test_service '
say start $(uptime_s)
if wait_up getty syslogd klogd crond httpd svtest; then say allup $(uptime_s); fi
svctl status | sed "s/^/STATUS /"
say status-exit $?
# httpd: its uid, and the status page (CGI running svctl status)
p=$(svpid httpd)
say httpd-uid $(awk "/^Uid:/ { print \$2 }" /proc/$p/status)
wget -q -O - http://127.0.0.1:8080/cgi-bin/status | sed "s/^/PAGE /"
say wget-exit $?
# loggers write their files
for n in syslogd crond httpd crashy; do
	[ -e /var/log/$n/current ] && say logfile $n
done
# SIGKILL crond: init must start it again (new pid)
old=$(svpid crond)
kill -KILL "$old"
i=0
while :; do
	new=$(svpid crond)
	if [ -n "$new" ] && [ "$new" != "$old" ] && svctl status crond >/dev/null; then break; fi
	i=$((i + 1)); [ $i -lt 200 ] || break
	sleep 0.05
done
say killed $old new=$new $(svctl status crond)
say poweroff $(uptime_s)
poweroff
'
	boot
	touch "$S/done"
}

@test "boot: every enabled service is up, loggers run" {
	normal_boot
	local n line
	got "SVTEST allup" || { echo "services did not all come up" >&2; return 1; }
	for n in getty syslogd klogd crond httpd svtest; do
		line=$(out | sed -n "s/^STATUS \($n .*\)/\1/p")
		[[ $line == "$n up "* ]] || { echo "not up: '$n': '$line'" >&2; return 1; }
	done
	for n in syslogd crond httpd crashy; do
		line=$(out | sed -n "s/^STATUS \($n .*\)/\1/p")
		[[ $line == *"log:pid="* ]] || { echo "no logger for $n: '$line'" >&2; return 1; }
		got "SVTEST logfile $n" || { echo "no /var/log/$n/current" >&2; return 1; }
	done
	# crashy crashes by design: up, or backing off between runs
	line=$(out | sed -n 's/^STATUS \(crashy .*\)/\1/p')
	[[ $line == "crashy up "* || $line == "crashy backoff"* || $line == "crashy starting"* ]] || {
		echo "crashy: '$line'" >&2; return 1; }
	note "services up at $(value allup) s after boot (guest clock)"
}

@test "boot: httpd runs as user www and serves svctl status" {
	normal_boot
	[ "$(value httpd-uid)" = 33 ] || { echo "httpd uid: '$(value httpd-uid)'" >&2; return 1; }
	out | grep -q '^PAGE httpd up ' || { echo "status page:" >&2; out | grep '^PAGE' >&2; return 1; }
}

@test "a service killed with SIGKILL comes back with a new pid" {
	normal_boot
	local l old new
	l=$(value killed)
	old=${l%% *}
	new=$(echo "$l" | sed -n 's/.*new=\([0-9]*\).*/\1/p')
	[ -n "$old" ] && [ -n "$new" ] && [ "$old" != "$new" ] || { echo "killed: '$l'" >&2; return 1; }
	[[ $l == *"crond up pid=$new "* ]] || { echo "crond after SIGKILL: '$l'" >&2; return 1; }
}

@test "poweroff: services stopped, rc.shutdown run, 'reboot: Power down'" {
	normal_boot
	ended_with "Power down"
	got "svtest got TERM" || { echo "svtest was not stopped with TERM" >&2; return 1; }
	got "SVTEST rc.shutdown ran" || { echo "rc.shutdown did not run" >&2; return 1; }
	local t p
	t=$(kernel_time "reboot: Power down")
	p=$(value poweroff)
	note "boot to power-off: ${t} s guest time (services up at $(value allup) s, poweroff asked at ${p} s)"
	# guest time is emulated time: only fail when far off the 10 s target
	awk -v t="$t" 'BEGIN { exit !(t + 0 > 0 && t + 0 < 40) }' || {
		echo "boot to power-off took ${t} s (target 10 s)" >&2; return 1; }
}

@test "Ctrl-Alt-Del (qemu sendkey) reboots cleanly" {
	scenario cad
	test_service '
wait_up getty syslogd svtest
say ready
'
	boot_bg -M "$S/mon"
	wait_for 60 got "SVTEST ready"
	# qemu opens the monitor FIFOs read-write, so this open never blocks
	echo "sendkey ctrl-alt-delete" >"$S/mon.in"
	wait_qemu 60
	ended_with "Restarting system"
	got "svtest got TERM" || { echo "services were not stopped (a hard reboot?)" >&2; return 1; }
	got "SVTEST rc.shutdown ran" || { echo "rc.shutdown did not run" >&2; return 1; }
}

@test "reboot (busybox) reboots cleanly" {
	scenario reboot
	test_service '
wait_up getty syslogd svtest
reboot
'
	boot
	ended_with "Restarting system"
	got "svtest got TERM" || { echo "services were not stopped" >&2; return 1; }
	got "SVTEST rc.shutdown ran" || { echo "rc.shutdown did not run" >&2; return 1; }
}

@test "halt (busybox) halts: 'reboot: System halted'" {
	scenario halt
	test_service '
wait_up getty syslogd svtest
halt
'
	boot_bg
	# a halted machine does not end qemu: wait for the message, then stop it
	wait_for 60 eval 'con | grep -q -e "reboot: System halted" -e "Kernel panic" -e "reboot: Power down" -e "reboot: Restarting"'
	ended_with "System halted"
	got "svtest got TERM" || { echo "services were not stopped" >&2; return 1; }
	got "SVTEST rc.shutdown ran" || { echo "rc.shutdown did not run" >&2; return 1; }
	stop_qemu
}

@test "garbage in /etc/svc: the rest comes up, bad ones fatal, no panic" {
	scenario garbage
	local r=$S/root
	echo "not a service" >"$r/etc/svc/junkfile"
	ln -s /nonexistent "$r/etc/svc/dangling"
	mkdir -p "$r/etc/sv/norun" "$r/etc/svc/emptydir" "$r/etc/svc/bad name!"
	printf '#!/bin/sh\nexec sleep 100\n' >"$r/etc/sv/norun/run"
	chmod 644 "$r/etc/sv/norun/run"
	ln -s /etc/sv/norun "$r/etc/svc/norun"
	printf '#!/bin/sh\nexec sleep 100\n' >"$r/etc/svc/bad name!/run"
	chmod 755 "$r/etc/svc/bad name!/run"
	test_service '
wait_up getty syslogd klogd crond httpd svtest && say allup
svctl status | sed "s/^/STATUS /"
poweroff
'
	boot
	ended_with "Power down"
	got "SVTEST allup" || { echo "the good services did not come up" >&2; return 1; }
	out | grep -q '^STATUS norun fatal' || { echo "norun is not fatal" >&2; return 1; }
	out | grep -q '^STATUS emptydir fatal' || { echo "emptydir is not fatal" >&2; return 1; }
	! out | grep -qE '^STATUS (junkfile|dangling|bad name)' || {
		echo "a non-service shows in status" >&2; return 1; }
}

# reporter_rc_local BREAK: /etc/rc.local runs the shell code BREAK (which
# breaks /etc/svc), then starts /etc/svreporter in its own session: with no
# service left to do it, it reports `svctl status` and powers off.
reporter_rc_local() {
	rc_local "$1
setsid /etc/svreporter </dev/null >/dev/null 2>&1 &"
	{
		echo '#!/bin/sh'
		guest_prelude
		cat <<'EOF2'
# svctl status: 0 or 3 once init answers (4: no init on /run/svc yet)
i=0
while :; do
	svctl status >/dev/null 2>&1
	rc=$?
	{ [ $rc = 0 ] || [ $rc = 3 ]; } && break
	i=$((i + 1)); [ $i -lt 600 ] || break
	sleep 0.05
done
say svctl-status-exit $rc
svctl status | sed "s/^/STATUS /"
say poweroff
poweroff
EOF2
	} >"$S/root/etc/svreporter"
	chmod 755 "$S/root/etc/svreporter"
}

@test "rc.boot: svctl -w status started during rc.boot waits for every service" {
	scenario rcwait
	rc_local 'setsid /etc/svwaiter </dev/null >/dev/null 2>&1 &'
	{
		echo '#!/bin/sh'
		guest_prelude
		cat <<'EOF2'
svctl -w 40 status >/tmp/waited 2>&1
say waited-exit $?
sed "s/^/WAITED /" /tmp/waited
poweroff
EOF2
	} >"$S/root/etc/svwaiter"
	chmod 755 "$S/root/etc/svwaiter"
	boot
	ended_with "Power down"
	out | grep -E '^(SVTEST|WAITED)'
	# it waited for the services that start after rc.boot, and saw them up
	out | grep -q '^WAITED httpd up ' || { echo "httpd not listed up" >&2; return 1; }
	out | grep -q '^WAITED getty up ' || { echo "getty not listed up" >&2; return 1; }
}

@test "/etc/svc missing: init runs on, no panic, poweroff works" {
	scenario missing
	reporter_rc_local 'rm -rf /etc/svc'
	boot
	ended_with "Power down"
	[ "$(value svctl-status-exit)" = 0 ] || {
		echo "svctl status exit: '$(value svctl-status-exit)' (0 expected: no service)" >&2; return 1; }
	! out | grep -q '^STATUS ' || { echo "services listed:" >&2; out | grep '^STATUS' >&2; return 1; }
}

@test "/etc/svc is a regular file: init runs on, no panic, poweroff works" {
	scenario svcfile
	reporter_rc_local 'rm -rf /etc/svc; echo garbage >/etc/svc'
	boot
	ended_with "Power down"
	local rc
	rc=$(value svctl-status-exit)
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || { echo "svctl status exit: '$rc'" >&2; return 1; }
}

# The disk: ext4 made on the host, virtio-blk, mounted on /data by rc.boot.
disk_boot1() {
	S=$BATS_FILE_TMPDIR/disk1
	[ -e "$S/done" ] && return 0
	scenario disk1
	mkdir -p "$S/seed"
	echo "from the host" >"$S/seed/seed"
	truncate -s 16M "$S/disk.img"
	mke2fs -q -F -t ext4 -d "$S/seed" "$S/disk.img"
	TOKEN=token-$RANDOM-$RANDOM
	echo "$TOKEN" >"$S/token"
	test_service "
grep ' /data ' /proc/mounts | sed 's/^/MOUNT /'
say seed \$(cat /data/seed)
# written just before poweroff, no sync: init must sync and unmount
echo $TOKEN >/data/token
poweroff
"
	boot -D "$S/disk.img"
	dumpe2fs -h "$S/disk.img" >"$S/dumpe2fs.out" 2>&1 || true
	touch "$S/done"
}

@test "disk: data written just before poweroff survives into the next boot" {
	command -v mke2fs >/dev/null || skip "mke2fs not installed (e2fsprogs)"
	disk_boot1
	local img=$S/disk.img token
	token=$(cat "$S/token")
	ended_with "Power down"
	out | grep -q '^MOUNT /dev/vda /data ext4' || { echo "/data not mounted by rc.boot" >&2; return 1; }
	[ "$(value seed)" = "from the host" ] || { echo "seed: '$(value seed)'" >&2; return 1; }
	scenario disk2
	test_service '
say token $(cat /data/token)
poweroff
'
	boot -D "$img"
	ended_with "Power down"
	[ "$(value token)" = "$token" ] || { echo "token after reboot: '$(value token)', wrote '$token'" >&2; return 1; }
}

@test "disk: poweroff leaves the filesystem cleanly unmounted" {
	command -v mke2fs >/dev/null || skip "mke2fs not installed (e2fsprogs)"
	disk_boot1
	ended_with "Power down"
	# the journal was flushed: unmounted or remounted read-only before power-off
	grep -q '^Filesystem state: *clean' "$S/dumpe2fs.out" || {
		cat "$S/dumpe2fs.out" >&2; return 1; }
	! grep -q 'needs_recovery' "$S/dumpe2fs.out" || {
		echo "the journal needs recovery: not unmounted before power-off" >&2
		grep -i features "$S/dumpe2fs.out" >&2; return 1; }
}

# --- the hardware watchdog: Debian's softdog, 4 s margin ----------------------

# softdog_overlay: the overlay gets watchdog.ko and softdog.ko of the test
# kernel, loaded by /etc/rc.local (so init finds /dev/watchdog only once
# rc.boot has ended), and health_tools (test/health_tools.c, static).
softdog_overlay() {
	local kmod
	kmod=$ROOT/build/kernel/lib/modules/$(cat "$ROOT/build/kernel/version")/kernel/drivers/watchdog
	[ -e "$kmod/softdog.ko" ] || skip "no softdog.ko in the test kernel"
	command -v musl-gcc >/dev/null || skip "musl-gcc not installed"
	mkdir -p "$S/root/lib/wd" "$S/root/bin"
	cp "$kmod/watchdog.ko" "$kmod/softdog.ko" "$S/root/lib/wd/"
	musl-gcc -static -Os -o "$S/root/bin/health_tools" "$BATS_TEST_DIRNAME/health_tools.c"
	rc_local 'insmod /lib/wd/watchdog.ko && insmod /lib/wd/softdog.ko soft_margin=4 ||
	echo "SVTEST softdog not loaded" >/dev/ttyS1'
}

# The halt is systemd's SIGRTMIN+3 (kill -37 1): busybox halt has a test of
# its own; this saves a boot.
@test "hardware watchdog: fed well past its timeout; SVWATCHDOG sets it; halt (kill -37 1) disarms it" {
	scenario softdog
	softdog_overlay
	test_service '
wait_up svtest
w=/sys/class/watchdog/watchdog0
say wdt $(cat $w/state) timeout=$(cat $w/timeout)
# over three times the timeout, in guest time
while [ "$(cut -d. -f1 /proc/uptime)" -lt 20 ]; do sleep 1; done
say alive $(uptime_s) $(cat $w/state)
kill -37 1
'
	boot_bg -a SVWATCHDOG=6
	wait_for 60 eval 'con | grep -q -e "reboot: System halted" -e "Kernel panic" -e "reboot: Restarting" -e "Initiating system reboot"'
	ended_with "System halted"
	# halted, not reset: an armed watchdog would have fired within 6 s
	sleep 9
	alive "$QPID" || { echo "qemu ended after the halt" >&2; con | tail -5 >&2; return 1; }
	stop_qemu
	[ "$(value wdt)" = "active timeout=6" ] || { echo "watchdog: '$(value wdt)'" >&2; return 1; }
	got "SVTEST alive" || { echo "did not stay up" >&2; return 1; }
	not eval 'con | grep -E "Initiating system reboot|watchdog did not stop"'
	# SIGRTMIN+3: a clean halt
	got "svtest got TERM" || { echo "services were not stopped" >&2; return 1; }
	got "SVTEST rc.shutdown ran" || { echo "rc.shutdown did not run" >&2; return 1; }
}

@test "hardware watchdog: init stops (frozen by a debugger): the board resets" {
	scenario softdog-freeze
	softdog_overlay
	test_service '
wait_up svtest
say wdt $(cat /sys/class/watchdog/watchdog0/state)
/bin/health_tools freeze 1 | while read -r l; do say "$l" $(uptime_s); done
'
	boot
	[ "$(value wdt)" = active ] || { echo "watchdog: '$(value wdt)'" >&2; return 1; }
	got "SVTEST frozen" || { echo "init was not frozen" >&2; return 1; }
	con | grep -q 'softdog: Initiating system reboot' || {
		echo "no reset by softdog:" >&2; con | tail -15 >&2; return 1; }
	not got "svtest got TERM"
}

@test "hostile SVDIR: 200-byte name, FIFO as timeout-kill, logger ignoring TERM: no panic, poweroff completes" {
	scenario hostile
	local r=$S/root
	# a service whose timeout-kill is a FIFO: a config error, never a hang
	mkdir -p "$r/etc/sv/fifo"
	printf '#!/bin/sh\nexec sleep 100000\n' >"$r/etc/sv/fifo/run"
	mkfifo "$r/etc/sv/fifo/timeout-kill"
	# a logger that ignores SIGTERM: SIGKILL after its timeout-kill
	mkdir -p "$r/etc/sv/stubborn/log"
	printf '#!/bin/sh\nexec sleep 100000\n' >"$r/etc/sv/stubborn/run"
	printf '#!/bin/sh\ntrap "" TERM\nexec sleep 100000\n' >"$r/etc/sv/stubborn/log/run"
	echo 2000 >"$r/etc/sv/stubborn/log/timeout-kill"
	chmod 755 "$r/etc/sv/fifo/run" "$r/etc/sv/stubborn/run" "$r/etc/sv/stubborn/log/run"
	ln -s /etc/sv/fifo "$r/etc/svc/fifo"
	ln -s /etc/sv/stubborn "$r/etc/svc/stubborn"
	# the long names are dropped in while init runs (scan and inotify)
	test_service '
wait_up svtest stubborn && say up
touch "/etc/svc/$(head -c 200 /dev/zero | tr "\0" A)"
ln -s /etc/sv/svtest "/etc/svc/$(head -c 150 /dev/zero | tr "\0" B)"
sleep 1
svctl rescan
sleep 1
svctl status >/dev/null 2>&1
say alive $?
svctl status | sed "s/^/STATUS /"
say poweroff $(uptime_s)
poweroff
'
	boot
	ended_with "Power down"
	got "SVTEST up" || { echo "svtest and stubborn did not come up" >&2; return 1; }
	local rc
	rc=$(value alive)
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || { echo "svctl status after the long names: exit '$rc'" >&2; return 1; }
	out | grep -q '^STATUS fifo fatal' || { echo "fifo is not fatal:" >&2; out | grep '^STATUS' >&2; return 1; }
	got "svtest got TERM" || { echo "services were not stopped" >&2; return 1; }
}
