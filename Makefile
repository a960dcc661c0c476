# gantry — make help lists the targets.

SHELL := /bin/bash
GO ?= go
TERRAFORM_VERSION := 1.5.7
TOFU_VERSION := 1.10.6
TFSEC_VERSION := 1.28.14
BIN := $(CURDIR)/bin
# Tests find the Terraform binary the project builds, never one that happens to be installed.
export GANTRY_TERRAFORM_BIN := $(BIN)/terraform
export GANTRY_TOFU_BIN := $(BIN)/tofu
export PATH := $(BIN):$(PATH)
GOFLAGS_BUILD := -trimpath -ldflags "-s -w -X github.com/classla/gantry/internal/version.Version=$(shell git describe --tags --always --dirty 2>/dev/null || echo dev)"

.PHONY: help build demo test test-browser vet fmt-check tf-check tools bench fuzz clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/gantry
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/gantry ./cmd/gantry

demo: build ## print the plan comment gantry would post for examples/classla
	@$(BIN)/gantry plan examples/classla --from-json examples/classla/plan.json

test: tools fmt-check vet tf-check ## run every test (race detector on), building what they need first
	$(GO) test -race -count=1 ./...

test-browser: ## render the status page's job and service pages in headless Chromium (/usr/bin/chromium; GANTRY_UPDATE_SCREENSHOT=1 rewrites docs/status-*.png)
	$(GO) test -tags browser -count=1 -timeout 2m -run '^TestStatusPagesInChromium$$' ./internal/server/

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail when a Go file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

tools: $(BIN)/terraform $(BIN)/tofu $(BIN)/tfsec ## build the tools the tests run (Terraform, OpenTofu, tfsec) into bin/

tf-check: $(BIN)/terraform $(BIN)/tfsec ## terraform fmt and tfsec (no HIGH or CRITICAL finding) on terraform/
	TF_CLI_CONFIG_FILE=/dev/null $(BIN)/terraform fmt -check -recursive terraform
	@# Given a directory of several roots, tfsec scans only the first it finds: give it each root
	@# (the modules are scanned through the roots that call them).
	@for root in terraform/bootstrap terraform/envs/*/; do \
		echo "tfsec $$root"; \
		$(BIN)/tfsec $$root --minimum-severity HIGH --no-module-downloads --concise-output --no-color || exit 1; \
	done

# Terraform is built from source with the Go toolchain (no download site is needed) and kept
# in bin/ so later runs reuse it; the version check rebuilds it when TERRAFORM_VERSION moves.
$(BIN)/terraform: FORCE
	@mkdir -p $(BIN)
	@if [ -x $@ ] && $@ version 2>/dev/null | head -1 | grep -q "v$(TERRAFORM_VERSION)$$"; then exit 0; fi; \
	echo "building Terraform $(TERRAFORM_VERSION) into bin/ (first run only, a few minutes)"; \
	GOBIN=$(BIN) GOFLAGS=-buildvcs=false $(GO) install github.com/hashicorp/terraform@v$(TERRAFORM_VERSION)
	@$@ version 2>/dev/null | head -1

# OpenTofu's go.mod has replace directives, so `go install` cannot build it: the module is
# downloaded into the module cache and built there.
$(BIN)/tofu: FORCE
	@mkdir -p $(BIN)
	@if [ -x $@ ] && $@ version 2>/dev/null | head -1 | grep -q "v$(TOFU_VERSION)"; then exit 0; fi; \
	echo "building OpenTofu $(TOFU_VERSION) into bin/ (first run only, a few minutes)"; \
	dir=$$(cd / && $(GO) mod download -json github.com/opentofu/opentofu@v$(TOFU_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -n "$$dir" || { echo "could not download github.com/opentofu/opentofu@v$(TOFU_VERSION)"; exit 1; }; \
	cd "$$dir" && GOFLAGS=-buildvcs=false $(GO) build -o $@ ./cmd/tofu
	@$@ version 2>/dev/null | head -1

# tfsec does not report its version when built from source, so a stamp file records it.
$(BIN)/tfsec: FORCE
	@mkdir -p $(BIN)
	@if [ -x $@ ] && [ "$$(cat $(BIN)/.tfsec-version 2>/dev/null)" = "$(TFSEC_VERSION)" ]; then exit 0; fi; \
	echo "building tfsec $(TFSEC_VERSION) into bin/ (first run only)"; \
	GOBIN=$(BIN) GOFLAGS=-buildvcs=false $(GO) install github.com/aquasecurity/tfsec/cmd/tfsec@v$(TFSEC_VERSION) && \
	echo "$(TFSEC_VERSION)" > $(BIN)/.tfsec-version

bench: ## run the benchmarks with allocation counts
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## run each fuzz test for 30 s
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./internal/command/
	$(GO) test -run '^$$' -fuzz FuzzVarFileOutside -fuzztime 30s ./internal/command/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./internal/config/
	$(GO) test -run '^$$' -fuzz FuzzEstimate -fuzztime 30s ./internal/cost/
	$(GO) test -run '^$$' -fuzz FuzzFilterFindsWhatANaiveSearchFinds -fuzztime 30s ./internal/redact/

# The binaries' recipes always run; each checks the version it finds and rebuilds only on a mismatch.
FORCE:

clean: ## remove build output (keeps the cached Terraform)
	rm -f $(BIN)/gantry
