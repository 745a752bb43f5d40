# Fulcrum: drop-in HAProxy and Keepalived.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

.PHONY: all build test deps bench fuzz demo lint clean

all: build

build:
	$(GO) build -o bin/haproxy ./cmd/haproxy
	$(GO) build -o bin/keepalived ./cmd/keepalived

# Every test: unit, privileged network-namespace and differential ones.
test: deps build
	$(GO) test -count=1 -timeout 14m ./...

deps:
	bash scripts/deps.sh

bench: deps build
	bash scripts/bench.sh

fuzz:
	bash scripts/fuzz.sh

demo: deps build
	bash scripts/demo.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
