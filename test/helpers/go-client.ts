// A Go net/http client built in the test (stdlib only, offline): posts a file over HTTPS and prints the protocol,
// the status and the sha256 of the reply. H2=1 lets it negotiate HTTP/2 by ALPN; HDRS holds extra request headers,
// one `name: value` a line.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SOURCE = `package main

import (
\t"bytes"
\t"crypto/sha256"
\t"crypto/tls"
\t"encoding/hex"
\t"fmt"
\t"io"
\t"net/http"
\t"os"
\t"strings"
)

func main() {
\tbody, err := os.ReadFile(os.Args[2])
\tif err != nil {
\t\tpanic(err)
\t}
\ttr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: os.Getenv("H2") == "1"}
\trq, err := http.NewRequest("POST", os.Args[1], bytes.NewReader(body))
\tif err != nil {
\t\tpanic(err)
\t}
\trq.Header.Set("content-type", "application/octet-stream")
\tfor _, l := range strings.Split(os.Getenv("HDRS"), "\\n") {
\t\tif kv := strings.SplitN(l, ":", 2); len(kv) == 2 {
\t\t\trq.Header.Set(strings.TrimSpace(kv[0]), strings.TrimSpace(kv[1]))
\t\t}
\t}
\tr, err := (&http.Client{Transport: tr}).Do(rq)
\tif err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
\th := sha256.New()
\tio.Copy(h, r.Body)
\tr.Body.Close()
\tfmt.Println(r.Proto, r.StatusCode, hex.EncodeToString(h.Sum(nil)))
}
`;

export function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the client (or another stdlib-only program) into dir, static (CGO_ENABLED=0); stripped: `-ldflags=-s -w`
 * (names only in .gopclntab).
 */
export function buildGoClient(dir: string, stripped: boolean, source = SOURCE, name = 'go-client'): string {
  const src = path.join(dir, `${name}.go`);
  fs.writeFileSync(src, source);
  const out = path.join(dir, `${name}${stripped ? '-stripped' : ''}`);
  // GOPATH mode, no proxy: nothing is downloaded; a shared build cache makes re-runs take seconds.
  const env = { ...process.env, GOCACHE: path.join(os.tmpdir(), 'agentsight-test-gocache'), GOPATH: path.join(dir, 'gopath'), GO111MODULE: 'off', GOPROXY: 'off', CGO_ENABLED: '0' };
  execFileSync('go', ['build', ...(stripped ? ['-ldflags=-s -w'] : []), '-o', out, src], { env, stdio: 'pipe' });
  return out;
}
