#!/usr/bin/env python3
"""guest-shell.py - run one command in the guest's ttyS1 shell through qemu's
-chardev socket (unix) and print its output.

Usage: guest-shell.py SOCKET COMMAND [--timeout S]

The guest runs a root shell on ttyS1 (packaging/guest/shell-ttyS1.sh); qemu
wires that port to a unix socket (-chardev socket,id=sh1,path=SOCKET,
server=on,wait=off -serial chardev:sh1, the second -serial). This connects,
types COMMAND followed by an end marker, and prints what the command printed
(the tty's echo of the typed line and the prompts removed). Exit status: the
command's, 124 on timeout, 125 when the socket cannot be used.

Not here: a terminal emulator or anything interactive (use socat or
`nc -U` for that); the marker makes the output of one command unambiguous.
"""
import os
import re
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    timeout = 30.0
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    path, cmd = args
    tag = "EPHDONE%d" % os.getpid()
    # The marker's text is built by the shell ($((...))), so the tty's echo
    # of the typed line never matches it.
    line = "%s; echo %s-$((40+2))-$?\n" % (cmd, tag)
    want = re.compile(r"%s-42-(\d+)" % tag)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1.0)
        s.connect(path)
    except OSError as e:
        print("guest-shell.py: %s: %s" % (path, e), file=sys.stderr)
        return 125
    deadline = time.monotonic() + timeout
    buf = b""
    # A fresh line first: the shell may be mid-prompt or hold stale input.
    s.sendall(b"\n")
    time.sleep(0.2)
    s.sendall(line.encode())
    sent = time.monotonic()
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        except socket.timeout:
            # The shell may have been respawning: type the line again.
            if not buf and time.monotonic() - sent > 5:
                s.sendall(line.encode())
                sent = time.monotonic()
            continue
        text = buf.decode("utf-8", "replace").replace("\r", "")
        m = want.search(text)
        if m:
            start = text.find(cmd)
            body = text[start + len(cmd):m.start()] if start >= 0 else text[:m.start()]
            # Drop the rest of the echoed line (the marker's command).
            nl = body.find("\n")
            body = body[nl + 1:] if nl >= 0 else ""
            sys.stdout.write(body)
            return int(m.group(1))
    print("guest-shell.py: no answer within %.0f s; got: %r" % (timeout, buf[-400:]),
          file=sys.stderr)
    return 124


if __name__ == "__main__":
    sys.exit(main())
