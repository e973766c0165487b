# agentsight build. `make setup` installs what a fresh Debian 12 + Node 20 machine lacks and builds everything;
# it is idempotent. `make test` runs the test suite. Generated files (vmlinux.h, BPF objects, the addon, dist/)
# are build products: never edit them.

SHELL := /bin/bash
BPF_OUT := bpf/.output
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BPF_OUT)/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h)
CLANG ?= clang
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
APT_PACKAGES := clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config make gcc g++ python3 tmux curl openssl strace util-linux sudo xfsprogs wget golang-go git man-db zsh fish chromium docker.io busybox-static gdb
# node-gyp would otherwise download Node headers; Node's Debian/NodeSource package ships them in /usr/include/node.
NODEDIR ?= $(shell n=$$(dirname $$(dirname $$(readlink -f $$(command -v node)))); [ -f $$n/include/node/node_api.h ] && echo $$n || echo /usr)
export npm_config_nodedir := $(NODEDIR)

.PHONY: setup deps tracefs node-deps build bpf native launcher ts man web test bench clean top

setup: deps tracefs node-deps build

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$([ $$(id -u) -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

tracefs:
	@if [ ! -d /sys/kernel/tracing/events ]; then \
	  SUDO=$$([ $$(id -u) -eq 0 ] || echo sudo); \
	  $$SUDO mount -t tracefs nodev /sys/kernel/tracing || echo "warning: cannot mount tracefs; tracepoints will not attach"; \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

node-deps: node_modules/.package-lock.json

build: bpf native launcher ts man web

$(BPF_OUT)/vmlinux.h:
	@mkdir -p $(BPF_OUT)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BPF_OUT)/vmlinux.h
	$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BPF_OUT) -Ibpf -c $< -o $@

bpf: $(BPF_OBJS)

NATIVE_SRCS := $(wildcard native/*.cc native/*.h)

build/Release/agentsight.node: $(NATIVE_SRCS) bpf/events.h bpf/process.h binding.gyp node_modules/.package-lock.json
	npx node-gyp rebuild --nodedir=$(NODEDIR)

native: build/Release/agentsight.node

# `agentsight record -- CMD` through a running monitor without starting node (native/record-launcher.c; bin/agentsight
# runs it). After the addon: node-gyp rebuild empties build/.
build/agentsight-launch: native/record-launcher.c | build/Release/agentsight.node
	$(CC) -O2 -Wall -Wextra -o $@ $<

launcher: build/agentsight-launch

ts: node_modules/.package-lock.json
	npx tsc -p tsconfig.json
	@scripts/build-info.sh

# The man page and shell completions, generated from the CLI's own command definitions (shipped in the package).
man: ts
	@mkdir -p man completions
	@bin/agentsight man > man/agentsight.1
	@for sh in bash zsh fish; do bin/agentsight completion $$sh > completions/agentsight.$$sh; done

# The web UI's bundle (src/web/ui → dist/web/ui), type-checked with its own DOM settings first.
web: node_modules/.package-lock.json
	npx tsc -p src/web/ui/tsconfig.json
	node scripts/build-web.mjs

# The README's test command: sets up whatever a fresh machine lacks (idempotent), builds, then runs every test.
test: setup
	npx vitest run --reporter=default --reporter=json --outputFile=.cache/test-results.json; \
	  rc=$$?; node scripts/test-summary.js .cache/test-results.json; exit $$rc

bench: setup
	node dist/bench/index.js

# Live view: capture needs root; use sudo when we are not root (and run as is where sudo does not exist).
top: setup
	@if [ $$(id -u) -eq 0 ] || ! command -v sudo >/dev/null; then bin/agentsight top; else sudo bin/agentsight top; fi

clean:
	rm -rf $(BPF_OUT) build dist man completions
