#!/bin/sh
# Boot the example appliance (build/initramfs.cpio.gz) under qemu.
#
#   scripts/qemu.sh [OPTIONS] [-- QEMU_ARGS...]
#
# Without options: interactive, the serial console on this terminal.
# Quit with `poweroff` in the appliance's shell, or Ctrl-A X (qemu's key).
#
# Options (for scripts and tests):
#   -k KERNEL   kernel image (default: scripts/getkernel.sh, build/kernel)
#   -i INITRD   initramfs (default build/initramfs.cpio.gz)
#   -a ARGS     more kernel command line (e.g. "loglevel=7"; interactive
#               boots add "quiet")
#   -c FILE     batch mode: console (ttyS0) to FILE, no terminal, stdin
#               not read, and a reboot ends qemu (-no-reboot)
#   -o FILE     second serial port (guest /dev/ttyS1) to FILE
#   -M PATH     qemu monitor on the FIFOs PATH.in and PATH.out (made here
#               if missing), e.g.: echo 'sendkey ctrl-alt-delete' >PATH.in
#   -D IMAGE    a raw disk image as virtio disk (guest /dev/vda, /data)
#   -t SECS     kill qemu after SECS seconds (exit 124)
#   -m MB       memory (default 256)
#   -n          -no-reboot: a reboot in the guest ends qemu (without it, an
#               interactive reboot boots the appliance again)
#   -A ARCH     boot the appliance of another architecture: aarch64
#               (virt, cortex-a57), armhf (virt, cortex-a15), mipsel
#               (malta), with Debian's kernel for it (getkernel.sh ARCH);
#               the initramfs defaults to build/initramfs-ARCH.cpio.gz
#   -h          this help
# qemu's exit status is 0 for power-off, reboot (-n) and panic alike: tell
# them apart by the console's last kernel line ("reboot: Power down",
# "reboot: Restarting system", "reboot: System halted", "Kernel panic").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=""
initrd=$top/build/initramfs.cpio.gz
append=""
console=""
serial1=""
monitor=""
disk=""
secs=""
mem=256
noreboot=""
arch=""
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while getopts A:k:i:a:c:o:M:D:t:m:nh opt; do
	case $opt in
	A) arch=$OPTARG ;;
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	a) append="$append $OPTARG" ;;
	c) console=$OPTARG ;;
	o) serial1=$OPTARG ;;
	M) monitor=$OPTARG ;;
	D) disk=$OPTARG ;;
	t) secs=$OPTARG ;;
	m) mem=$OPTARG ;;
	n) noreboot=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift

qemu=qemu-system-x86_64 tty=ttyS0 machine=""
case $arch in
"") ;;
aarch64) qemu=qemu-system-aarch64 tty=ttyAMA0 machine="-M virt -cpu cortex-a57" ;;
armhf) qemu=qemu-system-arm tty=ttyAMA0 machine="-M virt -cpu cortex-a15" ;;
mipsel) qemu=qemu-system-mipsel machine="-M malta" ;;
*) echo "qemu.sh: -A $arch: aarch64, armhf or mipsel" >&2; exit 2 ;;
esac
if [ -n "$arch" ]; then
	[ "$initrd" != "$top/build/initramfs.cpio.gz" ] || initrd=$top/build/initramfs-$arch.cpio.gz
	[ -n "$kernel" ] || kernel=$("$top/scripts/getkernel.sh" "$arch")
fi
command -v $qemu >/dev/null 2>&1 || {
	echo "qemu.sh: no $qemu (scripts/deps.sh qemu installs it)" >&2
	exit 1
}
[ -n "$kernel" ] || kernel=$("$top/scripts/getkernel.sh")
[ -r "$kernel" ] || { echo "qemu.sh: no kernel $kernel" >&2; exit 1; }
[ -r "$initrd" ] || {
	echo "qemu.sh: no initramfs $initrd (run scripts/mkinitramfs.sh)" >&2
	exit 1
}

# panic=-1: reboot at once on a panic (with -no-reboot: qemu exits), so a
# broken init never hangs a test until its timeout.
# Interactive boots are quiet (kernel chatter would litter the shell); a
# later "-a loglevel=7" wins.
quiet=quiet
[ -n "$console" ] && quiet=""
cmdline="console=$tty panic=-1 no_timer_check $quiet$append"
# KVM does not work everywhere (and fails oddly where /dev/kvm is there but
# unusable): software emulation always works. QEMU_ACCEL=kvm to try it.
# shellcheck disable=SC2086
set -- $machine -accel "${QEMU_ACCEL:-tcg}" -m "$mem" -nodefaults -no-user-config \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" -nic none "$@"
[ -n "$disk" ] && set -- "$@" -drive "file=$disk,if=virtio,format=raw"
if [ -n "$console" ]; then
	set -- "$@" -display none -vga none -no-reboot -serial "file:$console"
	[ -n "$serial1" ] && set -- "$@" -serial "file:$serial1"
	if [ -n "$monitor" ]; then
		[ -p "$monitor.in" ] || mkfifo "$monitor.in"
		[ -p "$monitor.out" ] || mkfifo "$monitor.out"
		set -- "$@" -monitor "pipe:$monitor"
	else
		set -- "$@" -monitor none
	fi
else
	# interactive: serial console and qemu monitor share this terminal
	# (Ctrl-A X quits, Ctrl-A C toggles the monitor)
	set -- "$@" -nographic -serial mon:stdio
	[ -n "$serial1" ] && set -- "$@" -serial "file:$serial1"
	[ -n "$noreboot" ] && set -- "$@" -no-reboot
	echo "qemu.sh: booting; quit with 'poweroff' in the shell or Ctrl-A X" >&2
fi
if [ -n "$secs" ]; then
	if [ -n "$console" ]; then
		exec timeout -k 5 "$secs" $qemu "$@" </dev/null
	fi
	exec timeout -k 5 --foreground "$secs" $qemu "$@"
fi
if [ -n "$console" ]; then
	exec $qemu "$@" </dev/null
fi
exec $qemu "$@"
