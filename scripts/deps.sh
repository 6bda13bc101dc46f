#!/bin/sh
# Install what a job needs, with apt-get, only when it is missing.
#   deps.sh build   compiler (musl-gcc)
#   deps.sh test    build + bats + what the tests use (busybox, qemu, podman, kernel)
#   deps.sh qemu    qemu + kernel + busybox-static for the example appliance
#   deps.sh bench   the peers measured by make bench
#   deps.sh cross ARCH...  cross gcc and musl for make ARCH=A (the musl of
#                   another architecture goes to build/sysroot/A, not /)
# The kernel is Debian's cloud kernel, unpacked into build/kernel by
# scripts/getkernel.sh (the host's /boot is not touched).
set -eu
job=${1:-build}
need=""
want() { # want CMD PACKAGE
	command -v "$1" >/dev/null 2>&1 || need="$need $2"
}
wantpkg() { # wantpkg PACKAGE (no command to look for)
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' || need="$need $1"
}
case $job in
build) want musl-gcc musl-tools ;;
test)  want musl-gcc musl-tools; want bats bats; want unshare util-linux
       want busybox busybox-static; want qemu-system-x86_64 qemu-system-x86
       want cpio cpio; want strace strace; want mke2fs e2fsprogs
       want timeout coreutils; want python3 python3; want cc gcc
       want podman podman; want runc runc
       want systemd-notify systemd  # health.bats: systemd's own notify client
       # the cross builds, their suites under qemu-user, their boots
       want qemu-aarch64-static qemu-user-static; want qemu-system-arm qemu-system-arm
       want qemu-system-mipsel qemu-system-mips; want flock util-linux
       want aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
       want arm-linux-gnueabihf-gcc gcc-arm-linux-gnueabihf
       want riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu
       want i686-linux-gnu-gcc gcc-i686-linux-gnu
       want mipsel-linux-gnu-gcc gcc-mipsel-linux-gnu; want dpkg-source dpkg-dev ;;
qemu)  want qemu-system-x86_64 qemu-system-x86; want busybox busybox-static
       want cpio cpio; want gzip gzip
       case ${2:-} in  # deps.sh qemu ARCH: that architecture's qemu
       aarch64) want qemu-system-aarch64 qemu-system-arm; want qemu-aarch64-static qemu-user-static ;;
       armhf) want qemu-system-arm qemu-system-arm; want qemu-arm-static qemu-user-static ;;
       mipsel) want qemu-system-mipsel qemu-system-mips; want qemu-mipsel-static qemu-user-static ;;
       esac ;;
cross) shift
       for a in "$@"; do
       	case $a in
       	aarch64) want aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu ;;
       	armhf)   want arm-linux-gnueabihf-gcc gcc-arm-linux-gnueabihf ;;
       	riscv64) want riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu
       	         want dpkg-source dpkg-dev ;;
       	i386)    want i686-linux-gnu-gcc gcc-i686-linux-gnu ;;
       	mipsel)  want mipsel-linux-gnu-gcc gcc-mipsel-linux-gnu ;;
       	*) echo "deps.sh: unknown architecture '$a'" >&2; exit 2 ;;
       	esac
       done ;;
bench) want runsv runit; want s6-svscan s6; want svscan daemontools
       want busybox busybox-static; want tini tini; want dumb-init dumb-init
       want catatonit catatonit; want supervisord supervisor
       want valgrind valgrind; want strace strace ;;
*) echo "deps.sh: unknown job '$job'" >&2; exit 2 ;;
esac
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing:$need (run as root or install them)" >&2
		exit 1
	fi
	echo "deps.sh: installing$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || true
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
case $job in
cross) for a in "$@"; do "$(dirname "$0")/getmusl.sh" "$a"; done ;;
qemu) "$(dirname "$0")/getkernel.sh" ${2:-} >/dev/null ;;
# the qemu tests skip (saying why) if no kernel can be had
test) "$(dirname "$0")/getkernel.sh" >/dev/null ||
	echo "deps.sh: no kernel for the qemu tests (they will be skipped)" >&2 ;;
esac
