# A server for tests/process.rs: TCP and UDP on one port, IPv4 and IPv6 (dual stack).
# TCP: answers each line with "ok"; "late" is answered half a second later, then the
# connection is closed. UDP: echoes each datagram. Writes its PID to argv[2] when ready.
import os, socket, sys, threading, time

port = int(sys.argv[1])


def serve_tcp(c):
    f = c.makefile("rb")
    try:
        for line in f:
            if line.strip() == b"late":
                time.sleep(0.5)
                c.sendall(b"ok\n")
                break
            c.sendall(b"ok\n")
    except OSError:
        pass
    c.close()


def tcp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_tcp, args=(c,), daemon=True).start()


u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
u.bind(("::", port))
threading.Thread(target=tcp, daemon=True).start()
time.sleep(0.2)
with open(sys.argv[2] + ".tmp", "w") as p:
    p.write(str(os.getpid()))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while True:
    data, addr = u.recvfrom(2048)
    u.sendto(data, addr)
