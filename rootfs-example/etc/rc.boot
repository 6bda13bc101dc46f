#!/bin/sh
# One-shot boot script: init runs it after mounting /proc, /sys, /dev,
# /dev/pts and /run, and before it starts the services in /etc/svc.
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH

hostname -F /etc/hostname 2>/dev/null || hostname appliance
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

# Writable places the services expect (the initramfs root is writable).
mkdir -p /tmp /var/log /mnt /data
chmod 1777 /tmp

# Kernel modules listed by mkinitramfs.sh in load order (virtio disk etc.).
if [ -r /etc/modules ]; then
	while read -r m; do
		case $m in ''|'#'*) continue ;; esac
		insmod "$m" || echo "rc.boot: cannot load module $m" >&2
	done </etc/modules
fi

# A virtio disk (qemu -drive if=virtio) holds persistent data at /data.
if [ -b /dev/vda ]; then
	mount /dev/vda /data 2>/dev/null || mount -o ro /dev/vda /data ||
		echo "rc.boot: cannot mount /dev/vda on /data" >&2
fi

# Local additions (tests use this hook).
if [ -x /etc/rc.local ]; then
	/etc/rc.local
fi
exit 0
