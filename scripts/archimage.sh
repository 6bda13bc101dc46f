#!/bin/sh
# The example appliance for another architecture:
#
#   scripts/archimage.sh ARCH [OUT]    ARCH: aarch64, armhf, mipsel
#
# build/ARCH/init (make ARCH=ARCH) with Debian's busybox-static of that
# architecture (fetched once into build/busybox-ARCH, not installed) and
# no kernel modules (Debian's kernels for these boards need none), into
# OUT (default build/initramfs-ARCH.cpio.gz). Boot it with
# scripts/qemu.sh -A ARCH.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:?usage: archimage.sh ARCH [OUT]}
out=${2:-$top/build/initramfs-$arch.cpio.gz}
case $arch in
aarch64) deb=arm64 q=qemu-aarch64-static ;;
armhf) deb=armhf q=qemu-arm-static ;;
mipsel) deb=mipsel q=qemu-mipsel-static ;;
*) echo "archimage.sh: aarch64, armhf or mipsel" >&2; exit 2 ;;
esac
[ -x "$top/build/$arch/init" ] || { echo "archimage.sh: no build/$arch/init (make ARCH=$arch)" >&2; exit 1; }
bb=$top/build/busybox-$arch/bin/busybox
[ -x "$bb" ] || "$top/scripts/xapt.sh" fetch "$deb" "$top/build/busybox-$arch" busybox-static
kernel=$("$top/scripts/getkernel.sh" "$arch")
# busybox lists its applets: run under qemu-user if the kernel cannot
INIT=$top/build/$arch/init BUSYBOX=$bb BUSYBOX_RUN=$q KERNEL=$kernel \
	exec "$top/scripts/mkinitramfs.sh" -o "$out"
