# A stdio MCP client over real pipes (Python's subprocess uses pipe2, where node's child_process uses socketpairs):
# initialize, then each request of the JSON array in REQUESTS after the previous reply.
import json, os, subprocess, sys

reqs = json.loads(os.environ["REQUESTS"])
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
msgs = [{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "clientInfo": {"name": "py-client", "version": "2.0"}, "capabilities": {}}}]
msgs += [dict(r, jsonrpc="2.0", id=i + 1) for i, r in enumerate(reqs)]
for m in msgs:
    p.stdin.write((json.dumps(m) + "\n").encode())
    p.stdin.flush()
    print(m["method"], len(p.stdout.readline()))
p.stdin.close()
p.wait()
