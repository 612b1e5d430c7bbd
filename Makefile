# connwatch — the two commands of the README:  `make run`  and  `make test`.
PREFIX ?= /usr/local
SWIFT ?= swift
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: deps build run scan test test-fast fuzz fuzz-short bench bench-gz bench-journal bench-multiline bench-daemon bench-delivery bench-report docs install

deps:
	scripts/setup.sh

build: deps
	$(SWIFT) build -c release --product connwatch

# Main job: the daemon on its built-in default configuration (system journal + /var/log/*.log from their
# end, shipped rules, findings to stdout); Ctrl-C stops it after writing its checkpoints.
run: build
	$$($(SWIFT) build -c release --show-bin-path)/connwatch run

# One-shot scan of this machine's usual logs and the sample logs in examples/logs.
scan: build
	scripts/scan-default.sh

# Installs where a Debian operator expects things; DESTDIR and PREFIX are respected.
install: build
	scripts/install.sh "$(DESTDIR)" "$(PREFIX)" "$$($(SWIFT) build -c release --show-bin-path)/connwatch"

# Unit, integration and CLI tests, then every rule's examples and a lint of the shipped catalog.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	.build/debug/connwatch rules lint
	.build/debug/connwatch rules test

# The fast set for development (under a minute): every test not tagged `slow`.
test-fast: deps
	$(SWIFT) build --build-tests
	CONNWATCH_FAST_TESTS=1 $(SWIFT) test --skip-build

# libFuzzer (swiftc -sanitize=fuzzer) over the rule loader, the configuration parser and the scanner, each
# for FUZZ_SECONDS; a crash fails the run and leaves its input in .build-fuzz/artifacts/ (Fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz: deps
	Fuzz/fuzz.sh $(FUZZ_SECONDS)

# The short run CI can afford (8 s per target, plus the build).
fuzz-short: deps
	Fuzz/fuzz.sh 8

bench: deps
	Benchmarks/scan-throughput.sh

# `.gz` scanning against zcat | rg and ugrep -z in the same run; BEFORE=path/to/connwatch times a baseline too.
bench-gz: deps
	Benchmarks/gz-bench.py $(if $(BEFORE),--before $(BEFORE))

# `scan --journal` against `journalctl -o cat` on 1M entries written by systemd-journal-remote (wall and CPU).
bench-journal: deps
	Benchmarks/daemon-bench.py --journal-only

# What multi-line grouping costs: scan --multiline auto against plain scan, same corpus, same run.
bench-multiline: deps
	Benchmarks/multiline-overhead.sh

bench-daemon: deps
	Benchmarks/daemon-bench.py

bench-delivery: deps
	Benchmarks/delivery-bench.py

# `report` over 100k and 1M findings; BEFORE=path/to/connwatch measures a baseline binary in the same run.
bench-report: deps
	Benchmarks/report-bench.py $(if $(BEFORE),--before $(BEFORE))

docs: build
	# docs/RULES.md is checked by a test: regenerate it whenever Rules/ changes.
	$$($(SWIFT) build -c release --show-bin-path)/connwatch rules list --format markdown > docs/RULES.md
