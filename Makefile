# connwatch — the two commands of the README:  `make run`  and  `make test`.
PREFIX ?= /usr/local
SWIFT ?= swift
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: deps build run test bench docs

deps:
	scripts/setup.sh

build: deps
	$(SWIFT) build -c release --product connwatch

# Main job on the built-in default configuration.
run: build
	scripts/scan-default.sh

# Unit, integration and CLI tests, then every rule's examples and a lint of the shipped catalog.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	.build/debug/connwatch rules lint
	.build/debug/connwatch rules test

bench: deps
	Benchmarks/scan-throughput.sh

docs: build
	# docs/RULES.md is checked by a test: regenerate it whenever Rules/ changes.
	$$($(SWIFT) build -c release --show-bin-path)/connwatch rules list --format markdown > docs/RULES.md
