#!/bin/sh
# Fetch Debian's cloud kernel (small, boots in a few seconds under qemu's
# software emulation) into build/kernel, without installing it: the host's
# /boot and /lib/modules are never touched.
#   scripts/getkernel.sh        prints the path of the kernel image
# Result (cached; delete build/kernel to fetch again):
#   build/kernel/vmlinuz                   the kernel
#   build/kernel/lib/modules/VERSION/...   its modules
#   build/kernel/version                   VERSION
# Override with KERNEL=/path/to/bzImage (and KMODULES=/lib/modules/VER)
# to use your own kernel instead; then nothing is fetched.
#
#   scripts/getkernel.sh ARCH   (aarch64, armhf, mipsel) Debian's kernel of
#                               that architecture for qemu-system (arm64,
#                               armmp-lpae, 4kc-malta), in build/kernel-ARCH
#                               (no modules: these boot with none)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
dir=$top/build/kernel
if [ -n "${1:-}" ]; then
	case $1 in
	aarch64) deb=arm64 meta=linux-image-arm64 ;;
	armhf) deb=armhf meta=linux-image-armmp-lpae ;;
	mipsel) deb=mipsel meta=linux-image-4kc-malta ;;
	*) echo "getkernel.sh: no kernel for $1 (aarch64, armhf, mipsel)" >&2; exit 1 ;;
	esac
	dir=$top/build/kernel-$1
	if [ ! -s "$dir/vmlinuz" ]; then
		tmp=$top/build/kernel-$1.tmp
		rm -rf "$tmp"
		real=$("$top/scripts/xapt.sh" depends "$deb" "$meta" | grep '^linux-image-[0-9]' | head -1)
		[ -n "$real" ] || { echo "getkernel.sh: apt does not know $meta ($deb)" >&2; exit 1; }
		echo "getkernel.sh: fetching $real ($deb) into build/kernel-$1" >&2
		"$top/scripts/xapt.sh" fetch "$deb" "$tmp/root" "$real"
		mkdir -p "$tmp/k"
		for img in "$tmp"/root/boot/vmlinu*-*; do break; done
		[ -e "$img" ] || { echo "getkernel.sh: no kernel image in $real" >&2; exit 1; }
		cp "$img" "$tmp/k/vmlinuz"
		echo "${img##*/vmlinu?-}" >"$tmp/k/version"
		rm -rf "$dir"
		mv "$tmp/k" "$dir"
		rm -rf "$tmp"
	fi
	echo "$dir/vmlinuz"
	exit 0
fi
if [ -n "${KERNEL:-}" ]; then
	echo "$KERNEL"
	exit 0
fi
if [ -s "$dir/vmlinuz" ] && [ -s "$dir/version" ]; then
	echo "$dir/vmlinuz"
	exit 0
fi
for c in apt-get apt-cache dpkg-deb; do
	command -v $c >/dev/null 2>&1 || {
		echo "getkernel.sh: needs $c (a Debian system) or KERNEL=/path/to/bzImage" >&2
		exit 1
	}
done
meta=linux-image-cloud-amd64
# The meta package depends on exactly one versioned image package.
real=$(apt-cache depends "$meta" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
if [ -z "$real" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	real=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
fi
if [ -z "$real" ]; then
	echo "getkernel.sh: apt does not know $meta (run apt-get update?)" >&2
	exit 1
fi
echo "getkernel.sh: fetching $real into build/kernel" >&2
mkdir -p "$top/build"
tmp=$(mktemp -d "$top/build/kernel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/dl" "$tmp/root"
# apt-get download writes into the current directory; as root it drops
# privileges to _apt, which must be able to write there.
chmod 777 "$tmp/dl"
(cd "$tmp/dl" && apt-get download -q "$real" >&2) || {
	echo "getkernel.sh: apt-get download $real failed" >&2
	exit 1
}
for deb in "$tmp"/dl/*.deb; do break; done
dpkg-deb --fsys-tarfile "$deb" | (cd "$tmp/root" && tar -x ./boot ./lib/modules) || {
	echo "getkernel.sh: cannot unpack $deb" >&2
	exit 1
}
for img in "$tmp"/root/boot/vmlinuz-*; do break; done
ver=${img##*/vmlinuz-}
[ -d "$tmp/root/lib/modules/$ver" ] || {
	echo "getkernel.sh: no modules for $ver in $deb" >&2
	exit 1
}
# assemble beside, then swap in: a concurrent run never sees half a kernel
mkdir -p "$tmp/k/lib"
mv "$img" "$tmp/k/vmlinuz"
mv "$tmp/root/lib/modules" "$tmp/k/lib/modules"
cp "$tmp"/root/boot/config-* "$tmp/k/" 2>/dev/null || true
echo "$ver" >"$tmp/k/version"
rm -rf "$dir"
mv "$tmp/k" "$dir"
echo "$dir/vmlinuz"
