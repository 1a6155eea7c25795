#!/bin/sh
# shell-ttyS1.sh - a root shell on the second serial port (busybox init
# respawns this script) so that a test on the host can type commands through
# a qemu -chardev socket wired to that port (e.g. "tpm2_pcrextend
# 15:sha256=..."). Deliberately not an interactive shell: a loop reads one
# line at a time and evals it, so there is no prompt and no line editor
# escape sequences, just each command's output after the tty's echo of the
# typed line. (Not `cat | sh`: busybox cat splices from the tty and sits on
# a complete line until more input comes.) Scripted use:
# packaging/guest/guest-shell.py.
#
# Not here: any authentication. The port exists only when the VM's creator
# wires a second -serial; the broker's VMs do not expose it.
export PATH=/usr/sbin:/usr/bin
export TPM2TOOLS_TCTI=device:/dev/tpmrm0
# No UART behind ttyS1 (qemu given one -serial only): idle instead of
# letting init respawn a failing shell in a loop.
if ! grep -q '^1: uart:[0-9A-Z]' /proc/tty/driver/serial 2>/dev/null; then
	exec sleep 2147483647
fi
stty -F /dev/ttyS1 sane 2>/dev/null
echo "ephemera guest: root shell on ttyS1, one command per line, no prompt" >/dev/ttyS1
# busybox init made this script a session (and group) leader, and setsid
# forks when called by a group leader (init would see the script exit and
# start a second shell): so run it as a background child and wait for it.
setsid -c sh -c 'while IFS= read -r l; do eval "$l"; done' </dev/ttyS1 >/dev/ttyS1 2>&1 &
wait $!
sleep 1
