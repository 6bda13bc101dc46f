#!/bin/sh
# Build the example appliance as an initramfs: build/initramfs.cpio.gz
#
#   scripts/mkinitramfs.sh [-o OUT] [-r ROOTFS] [-s SVC] [-m MODULE]...
#
# Contents:
#   /init, /sbin/init         our static ./init (the kernel runs /init)
#   /sbin/svctl, /sbin/svlog  links to it
#   /bin/busybox + links      every busybox applet but init/linuxrc
#   ROOTFS (rootfs-example/)  /etc/rc.boot, /etc/svc -> /etc/sv/NAME, ...
#   SVC (svc/) at /etc/sv     the stock service dirs
#   kernel modules            virtio disk (virtio_pci, virtio_blk) and any
#                             -m MODULE, listed in load order in /etc/modules
#   /dev/console              so the kernel can give /init a console
# Needs: a static ./init (make), busybox-static, cpio, gzip, and the kernel
# from scripts/getkernel.sh (or KERNEL= and KMODULES=). Root is not needed.
# INIT=build/ARCH/init and BUSYBOX= make an image for another architecture.
set -eu
here=$(pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/initramfs.cpio.gz
rootfs=$top/rootfs-example
svcdir=$top/svc
mods="virtio_pci virtio_blk"
while getopts o:r:s:m: opt; do
	case $opt in
	o) out=$OPTARG ;;
	r) rootfs=$OPTARG ;;
	s) svcdir=$OPTARG ;;
	m) mods="$mods $OPTARG" ;;
	*) echo "usage: mkinitramfs.sh [-o OUT] [-r ROOTFS] [-s SVC] [-m MODULE]..." >&2; exit 2 ;;
	esac
done
abs() { case $1 in /*) echo "$1" ;; *) echo "$here/$1" ;; esac; }
out=$(abs "$out")
rootfs=$(abs "$rootfs")
svcdir=$(abs "$svcdir")
cd "$top"

die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }

num() { # FILE OFFSET SIZE: little-endian unsigned number read from FILE
	od -An -j "$2" -N "$3" -t "u$3" "$1" | tr -d ' '
}
is_dynamic() { # ELF with a PT_INTERP (ld.so) header: cannot run in the image
	if [ "$(num "$1" 4 1)" = 1 ]; then  # ELF32
		phoff=$(num "$1" 28 4) phsize=$(num "$1" 42 2) phnum=$(num "$1" 44 2)
	else
		phoff=$(num "$1" 32 8) phsize=$(num "$1" 54 2) phnum=$(num "$1" 56 2)
	fi
	i=0
	while [ "$i" -lt "$phnum" ]; do
		[ "$(num "$1" $((phoff + i * phsize)) 4)" = 3 ] && return 0
		i=$((i + 1))
	done
	return 1
}

init=$(abs "${INIT:-$top/init}")
[ -x "$init" ] || die "no $init: run make first"
is_dynamic "$init" && die "$init is dynamically linked: build it static (make, with musl-gcc)"

bb=""
for b in "${BUSYBOX:-}" /bin/busybox /usr/bin/busybox; do
	[ -n "$b" ] && [ -x "$b" ] && ! is_dynamic "$b" && { bb=$b; break; }
done
[ -n "$bb" ] || die "no static busybox: apt-get install busybox-static (or BUSYBOX=/path)"
bb=$(abs "$bb")
command -v cpio >/dev/null 2>&1 || die "no cpio: apt-get install cpio"

# The kernel's modules: from getkernel.sh, or KMODULES=/lib/modules/VERSION.
# With your own KERNEL= and no KMODULES=, the image gets no modules (fine
# for a kernel with virtio built in).
if [ -n "${KMODULES:-}" ]; then
	kmod=$KMODULES
	[ -d "$kmod/kernel" ] || die "KMODULES=$kmod: no kernel/ directory there"
elif [ -n "${KERNEL:-}" ]; then
	kmod=""
	echo "mkinitramfs.sh: KERNEL= without KMODULES=: no kernel modules in the image" >&2
else
	"$top/scripts/getkernel.sh" >/dev/null || die "cannot get a kernel (scripts/getkernel.sh)"
	kmod=$top/build/kernel/lib/modules/$(cat "$top/build/kernel/version")
fi
kver=${kmod%/}
kver=${kver##*/}

mkdir -p "$top/build"
work=$(mktemp -d "$top/build/initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/root
mkdir "$stage"
cd "$stage"
mkdir -p bin sbin usr/bin usr/sbin etc dev proc sys run tmp root mnt data var/log lib/modules
chmod 1777 tmp
chmod 700 root

# busybox and its applets (not init/linuxrc: /init is ours)
cp "$bb" bin/busybox
# (a busybox of another architecture cannot list its applets here: the
# host's busybox, or qemu-user, lists them)
{ "$bb" --list-full 2>/dev/null || ${BUSYBOX_RUN:-false} "$bb" --list-full; } | while read -r path; do
	case ${path##*/} in init|linuxrc|busybox) continue ;; esac
	[ -e "$path" ] || [ -L "$path" ] && continue
	mkdir -p "${path%/*}"
	case $path in
	bin/*) ln -s busybox "$path" ;;
	sbin/*) ln -s ../bin/busybox "$path" ;;
	usr/*/*) ln -s ../../bin/busybox "$path" ;;
	*) ln -s /bin/busybox "$path" ;;
	esac
done

# our init, under its three names
cp "$init" sbin/init
ln -s sbin/init init
ln -s init sbin/svctl
ln -s init sbin/svlog

# the example root and the stock services at /etc/sv
if [ -d "$rootfs" ]; then
	cp -a "$rootfs"/. .
fi
mkdir -p etc/sv
cp -a "$svcdir"/. etc/sv/

# kernel modules and their dependencies, dependencies first; rc.boot loads
# the ones listed in /etc/modules
: >etc/modules
if [ -n "$kmod" ]; then
	modindex=$work/modules.idx
	(cd "$kmod" && find kernel -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst') |
		awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); gsub(/-/, "_", n); print n, $0 }' >"$modindex"
	loaded=" "
	addmod() { # NAME: add it after its dependencies (recursive: needs local)
		# shellcheck disable=SC3043
		local f deps d rel
		case $loaded in *" $1 "*) return 0 ;; esac
		f=$(awk -v n="$1" '$1 == n { print $2; exit }' "$modindex")
		if [ -z "$f" ]; then
			# built into the kernel: nothing to load
			sed 's,.*/,,; s,\.ko.*$,,; s,-,_,g' "$kmod/modules.builtin" 2>/dev/null | grep -qx "$1" ||
				die "module $1 not found under $kmod"
			loaded="$loaded$1 "
			return 0
		fi
		case $f in *.ko) ;; *) die "$f: compressed modules are not supported (busybox insmod)" ;; esac
		deps=$(tr '\0' '\n' <"$kmod/$f" | sed -n 's/^depends=//p' | head -1 | tr , ' ')
		for d in $deps; do
			addmod "$d"
		done
		loaded="$loaded$1 "
		rel=lib/modules/$kver/$f
		mkdir -p "${rel%/*}"
		cp "$kmod/$f" "$rel"
		echo "/$rel" >>etc/modules
	}
	for m in $mods; do
		addmod "$(echo "$m" | tr - _)"
	done
fi

# /dev/console (and /dev/null): the kernel opens /dev/console for /init
# before anything is mounted. Written as a tiny cpio by hand so that no
# mknod (and no root) is needed.
cpio_entry() { # NAME MODE(octal) MAJOR MINOR
	nlen=$(($(printf %s "$1" | wc -c) + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 $(($2)) 0 0 1 0 0 0 0 "$3" "$4" "$nlen" 0 "$1"
	# header (110 bytes) + name is padded to a multiple of 4
	pad=$(((4 - (110 + nlen) % 4) % 4))
	[ "$pad" -gt 0 ] && head -c "$pad" /dev/zero
	return 0
}
devnodes() {
	cpio_entry dev 040755 0 0
	cpio_entry dev/console 020600 5 1
	cpio_entry dev/null 020666 1 3
	cpio_entry 'TRAILER!!!' 0 0 0
}

mkdir -p "$(dirname "$out")"
tmp=$work/out.cpio.gz
{
	find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet
	devnodes
} | gzip -6 >"$tmp"
mv "$tmp" "$out"
echo "mkinitramfs.sh: $out ($(($(wc -c <"$out") / 1024)) KiB, kernel ${kver:-?}, modules:$(sed 's,.*/,,;s,\.ko$,,' etc/modules | tr '\n' ' ' | sed 's/^/ /'))" >&2
