# gdb batch helper: put breakpoints at the *file offsets* TLS discovery found, run the real program, and
# record what the argument registers point at (JSON lines), so a test can check that the bytes are the
# plaintext the local server received. Stands in for the uprobes until the BPF side exists.
#
# Environment:
#   GDB_PROBES   JSON list of {"kind", "fileOffset"} in the main executable
#   GDB_OUT      output file (JSON lines)
#   GDB_CAP      bytes of payload to record per event (default 256)
#   GDB_SYSCALLS comma-separated syscalls to catch as well (connection-identity research), optional
#   GDB_MAX      stop recording after this many events (default 4000)
import json
import os

import gdb

probes = json.loads(os.environ["GDB_PROBES"])
out = open(os.environ["GDB_OUT"], "w")
cap = int(os.environ.get("GDB_CAP", "256"))
max_events = int(os.environ.get("GDB_MAX", "4000"))
syscalls = [s for s in os.environ.get("GDB_SYSCALLS", "").split(",") if s]
events = 0


def emit(obj):
    global events
    events += 1
    out.write(json.dumps(obj) + "\n")
    out.flush()


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFFFFFFFFFF


def mem(addr, n):
    if n <= 0:
        return b""
    return bytes(gdb.selected_inferior().read_memory(addr, n))


def u64(addr):
    return int.from_bytes(mem(addr, 8), "little")


def thread_info():
    t = gdb.selected_thread()
    return {"lwp": t.ptid[1], "thread": t.name or ""}


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("handle SIGPIPE SIGUSR1 SIGUSR2 SIG32 SIG33 SIG34 SIG35 nostop noprint pass")
gdb.execute("starti")

# The main executable's path and its mappings: runtime address = mapping start + (fileOffset - mapping offset).
exe = gdb.selected_inferior().progspace.filename
real_exe = os.path.realpath(exe)
mappings = []
for line in gdb.execute("info proc mappings", to_string=True).splitlines():
    parts = line.split()
    if len(parts) >= 6 and parts[0].startswith("0x") and os.path.realpath(parts[-1]) == real_exe:
        start, end, size, offset = (int(x, 16) for x in parts[:4])
        mappings.append((start, end, offset))

addr_kind = {}
for p in probes:
    off = p["fileOffset"]
    hits = [s + (off - o) for (s, e, o) in mappings if o <= off < o + (e - s)]
    if not hits:
        emit({"type": "error", "why": "file offset not mapped", "probe": p})
        continue
    addr = hits[0]
    addr_kind[addr] = p["kind"]
    gdb.execute("break *0x%x" % addr, to_string=True)
    # The bytes gdb sees at the runtime address must be the bytes of the file at the offset.
    emit({"type": "placed", "kind": p["kind"], "fileOffset": off, "addr": addr, "bytes": mem(addr, 16).hex()})

for s in syscalls:
    gdb.execute("catch syscall " + s, to_string=True)

pending = {}  # (lwp, return address, rsp) -> entry state
in_syscall = {}  # lwp -> bool (catch syscall stops at entry and at return)
SYSNAMES = {0: "read", 1: "write", 20: "writev", 44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg", 19: "readv"}


def on_entry(kind):
    ti = thread_info()
    rsp = reg("rsp")
    ret = u64(rsp)
    st = {"kind": kind, **ti, "rdi": reg("rdi"), "rsi": reg("rsi"), "rdx": reg("rdx"), "rcx": reg("rcx")}
    if kind in ("SSL_write", "SSL_write_ex"):
        n = st["rdx"] & 0xFFFFFFFF if kind == "SSL_write" else st["rdx"]
        st["len"] = n
        st["data"] = mem(st["rsi"], min(n, cap)).hex()
    elif kind == "EVP_AEAD_CTX_seal":
        inp, in_len, ad, ad_len = u64(rsp + 8), u64(rsp + 16), u64(rsp + 24), u64(rsp + 32)
        st.update({"in": inp, "len": in_len, "ad_len": ad_len, "ad": mem(ad, min(ad_len, 16)).hex()})
        st["data"] = mem(inp, min(in_len, cap)).hex()
        st["last"] = mem(inp + in_len - 1, 1).hex() if in_len > 0 else ""
    elif kind == "EVP_AEAD_CTX_open":
        ad, ad_len = u64(rsp + 24), u64(rsp + 32)
        st.update({"ad_len": ad_len, "ad": mem(ad, min(ad_len, 16)).hex()})
    emit({"type": "entry", **st})
    key = (ti["lwp"], ret)
    pending.setdefault(key, []).append(st)
    gdb.execute("tbreak *0x%x thread %d" % (ret, gdb.selected_thread().num), to_string=True)


def on_return():
    ti = thread_info()
    key = (ti["lwp"], reg("pc"))
    stack = pending.get(key)
    if not stack:
        return False
    st = stack.pop()
    # Every probed function returns a C int: only eax is defined.
    eax = reg("rax") & 0xFFFFFFFF
    ev = {"type": "return", "kind": st["kind"], **ti, "ret": eax if eax < 1 << 31 else eax - (1 << 32), "rdi": st["rdi"]}
    if st["kind"] == "SSL_read":
        n = ev["ret"]
        ev["len"] = n
        ev["data"] = mem(st["rsi"], min(max(n, 0), cap)).hex()
    elif st["kind"] == "SSL_read_ex" and ev["ret"] == 1:
        n = u64(st["rcx"])
        ev["len"] = n
        ev["data"] = mem(st["rsi"], min(n, cap)).hex()
    elif st["kind"] == "EVP_AEAD_CTX_open" and ev["ret"] == 1:
        n = u64(st["rdx"])
        ev["len"] = n
        ev["data"] = mem(st["rsi"], min(n, cap)).hex()
        ev["last"] = mem(st["rsi"] + n - 1, 1).hex() if n > 0 else ""
    emit(ev)
    return True


def on_syscall():
    ti = thread_info()
    lwp = ti["lwp"]
    entering = not in_syscall.get(lwp, False)
    in_syscall[lwp] = entering
    nr = reg("orig_rax")
    ev = {"type": "syscall-entry" if entering else "syscall-exit", "name": SYSNAMES.get(nr, str(nr)), **ti, "fd": reg("rdi") & 0xFFFFFFFF}
    if entering and nr in (1, 44):
        ev["head"] = mem(reg("rsi"), min(reg("rdx"), 5)).hex()
    if not entering:
        rax = reg("rax")
        ev["ret"] = rax if rax < 1 << 63 else rax - (1 << 64)
    emit(ev)


stop_kind = {"v": None}


def on_stop(ev):
    if isinstance(ev, gdb.BreakpointEvent):
        stop_kind["v"] = "bp"
    elif isinstance(ev, gdb.SignalEvent):
        stop_kind["v"] = "signal:" + ev.stop_signal
    else:
        stop_kind["v"] = "other"


exited = {"v": False}
gdb.events.stop.connect(on_stop)
gdb.events.exited.connect(lambda ev: exited.__setitem__("v", True))

gdb.execute("continue")
while not exited["v"]:
    try:
        if events >= max_events:
            gdb.execute("delete", to_string=True)
            emit({"type": "limit", "events": events})
            gdb.execute("continue")
            continue
        pc = reg("pc")
        if pc in addr_kind:
            on_entry(addr_kind[pc])
        elif not on_return():
            if syscalls and stop_kind["v"] == "bp":
                on_syscall()
        gdb.execute("continue")
    except gdb.error as err:
        if exited["v"] or "not being run" in str(err):
            break
        if "No such process" in str(err):
            # The inferior is exiting while gdb reports its last stops: the end of the run, not a probe problem.
            emit({"type": "exiting", "why": str(err)})
            try:
                gdb.execute("continue")
            except gdb.error:
                break
            continue
        emit({"type": "gdb-error", "why": str(err)})
        try:
            gdb.execute("continue")
        except gdb.error:
            break
emit({"type": "exit"})
out.close()
