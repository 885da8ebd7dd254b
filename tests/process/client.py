# A client for tests/process.rs: client.py OUT HOST PORT MODE. Writes "PID PORT" to OUT once
# connected. MODE long: five lines 100 ms apart, each answered; exit: sends "late" and exits
# 200 ms later, before the answer comes; udp: three datagrams, each echoed; try: a TCP connection
# that nobody answers (forwarded traffic), given up after half a second; discard: one UDP
# datagram to port 9, where nothing listens; reuse: as long, from local port argv[5], ended with
# a reset (no TIME_WAIT on either side: the next client can take the same addresses at once);
# fork: connects, forks and exits at once, leaving the socket to the child, which writes its
# PID to OUT.child and, 1.5 s later, sends five lines as long does; pass: opens a connected
# UDP socket, sends one datagram on it, hands it to another process over a Unix socket
# (SCM_RIGHTS) and exits; that one
# writes its PID to OUT.child and, 1.5 s later, sends three datagrams as udp does.
import os, socket, struct, sys, time

out, host, port, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
family = socket.AF_INET6 if ":" in host else socket.AF_INET


def tell(s):
    with open(out + ".tmp", "w") as f:
        f.write("%d %d" % (os.getpid(), s.getsockname()[1]))
    os.rename(out + ".tmp", out)


if mode == "udp":
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("", 0))
    tell(s)
    s.settimeout(2)
    for i in range(3):
        s.sendto(b"hello", (host, port))
        s.recvfrom(100)
        time.sleep(0.1)
elif mode == "discard":
    socket.socket(family, socket.SOCK_DGRAM).sendto(b"x", (host, 9))
    time.sleep(0.2)
elif mode == "try":
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect((host, port))
    except OSError:
        pass
elif mode == "reuse":
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", int(sys.argv[5])))
    s.settimeout(5)
    s.connect((host, port))
    tell(s)
    f = s.makefile("rb")
    for i in range(5):
        s.sendall(b"ping\n")
        f.readline()
        time.sleep(0.05)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
elif mode == "pass":
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.fork() == 0:
        a.close()
        _, fds, _, _ = socket.recv_fds(b, 1, 1)
        s = socket.socket(fileno=fds[0])
        with open(out + ".child.tmp", "w") as f:
            f.write("%d" % os.getpid())
        os.rename(out + ".child.tmp", out + ".child")
        time.sleep(1.5)
        s.settimeout(2)
        for i in range(3):
            s.send(b"hello")
            s.recv(100)
            time.sleep(0.1)
        os._exit(0)
    b.close()
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.connect((host, port))
    tell(s)
    # One exchange of its own first, so that the socket is known as this process's.
    s.settimeout(2)
    s.send(b"hello")
    s.recv(100)
    time.sleep(0.3)
    socket.send_fds(a, [b"x"], [s.fileno()])
    os._exit(0)
elif mode == "fork":
    s = socket.create_connection((host, port), timeout=5)
    tell(s)
    if os.fork() != 0:
        os._exit(0)
    with open(out + ".child.tmp", "w") as f:
        f.write("%d" % os.getpid())
    os.rename(out + ".child.tmp", out + ".child")
    time.sleep(1.5)
    f = s.makefile("rb")
    for i in range(5):
        s.sendall(b"ping\n")
        f.readline()
        time.sleep(0.1)
    s.close()
else:
    s = socket.create_connection((host, port), timeout=5)
    tell(s)
    f = s.makefile("rb")
    if mode == "exit":
        s.sendall(b"late\n")
        time.sleep(0.2)
        os._exit(0)
    for i in range(5):
        s.sendall(b"ping\n")
        f.readline()
        time.sleep(0.1)
    s.close()
