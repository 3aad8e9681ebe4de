# hone — the user's verbs. A thin wrapper over CMakePresets.json; build
# trees live in build/<preset>.
#
#   make install            = install-fast: the prebuilt release artifact that
#                           fits this CPU into $(PREFIX) (checked, atomic);
#                           from source when none can be had
#   make install-source     build the portable preset here and install it
#   make install-optimized  the native build (-march=native, LTO, OpenBLAS)
#   make show-build         pretty-print the installed build_info.json
#   make test               install what tests need, build portable, run every
#                           test, print the summary
#   make uninstall          remove what install put in $(PREFIX)
#   make clean-build        remove build/
#   make bench-native MODEL=f.gguf [THREADS=2 ROUNDS=6 DEPTH=0 HONE_LOAD=auto|mmap]
#                           hone (native, portable) vs llama-bench, interleaved
#   make bench-ttft MODEL=f.gguf [THREADS=2 ROUNDS=6]
#                           time to first token: hone vs llama-completion
#   make bench-tables MODEL=f.gguf [THREADS=2 ROUNDS=6]
#                           decode speed of each CPU's kernel table here
#   make release            dist/: one tarball per CPU target, manifest.json,
#                           SHA256SUMS (ci/release.sh)
#
# Installing is atomic: the build happens first, then `cmake --install`
# into a staging dir, then each file is renamed into $(PREFIX); a failed
# build leaves $(PREFIX) untouched.

SHELL := /bin/bash
PREFIX ?= $(HOME)/.local
JOBS ?= 2
WERROR ?= OFF
CMAKE ?= cmake
CTEST ?= ctest
# files `make install` owns under $(PREFIX)
INSTALLED_FILES = bin/hone lib/hone/build_info.json \
	share/hone/models/stories260K-q8_0.gguf share/hone/models/LICENSE

.PHONY: all install install-fast install-source install-optimized show-build test uninstall clean-build help bench-native bench-ttft bench-tables release deps-build deps-test

all: help

help:
	@sed -n '1,21p' Makefile | sed 's/^# \{0,1\}//'

# Always re-run the build: cmake knows what is up to date.
.PHONY: build-portable build-native
build-portable build-native: build-%:
	$(CMAKE) --preset $* -DHONE_WERROR=$(WERROR) > /dev/null
	$(CMAKE) --build --preset $* -j $(JOBS)

install: install-fast

# The release artifact for this CPU ($HONE_RELEASE_URL, $HONE_VERSION; see
# ci/install-fast.sh); it falls back to install-source by itself.
install-fast:
	@bash ci/install-fast.sh --prefix "$(PREFIX)"

# Packages first (only the missing ones; apt-get, with sudo when not root).
deps-build:
	@bash ci/install-deps.sh build
deps-test:
	@bash ci/install-deps.sh all

install-source: deps-build
	@$(MAKE) --no-print-directory build-portable
	@$(MAKE) --no-print-directory _stage-install PRESET=portable

install-optimized: deps-build
	@$(MAKE) --no-print-directory build-native
	@$(MAKE) --no-print-directory _stage-install PRESET=native

_stage-install:
	@set -e; \
	prefix="$(PREFIX)"; mkdir -p "$$prefix"; \
	stage=$$(mktemp -d "$$prefix/.hone-stage.XXXXXX"); \
	trap 'rm -rf "$$stage"' EXIT; \
	$(CMAKE) --install build/$(PRESET) --prefix "$$stage" > /dev/null; \
	for f in $(INSTALLED_FILES); do \
	  test -f "$$stage/$$f" || { echo "install: $$f missing from the build" >&2; exit 1; }; \
	done; \
	for f in $(INSTALLED_FILES); do \
	  mkdir -p "$$prefix/$$(dirname $$f)"; \
	  mv -f "$$stage/$$f" "$$prefix/$$f.hone-new"; \
	done; \
	for f in $(INSTALLED_FILES); do mv -f "$$prefix/$$f.hone-new" "$$prefix/$$f"; done; \
	rm -f "$$prefix/lib/hone/release.txt"; \
	echo "installed hone ($(PRESET)) into $$prefix: $(INSTALLED_FILES)"

show-build:
	@f="$(PREFIX)/lib/hone/build_info.json"; \
	test -f "$$f" || { echo "no $$f: run 'make install' first" >&2; exit 1; }; \
	python3 -m json.tool "$$f"

# The README's test command: portable build, every test, ctest's summary.
test: deps-test
	@$(MAKE) --no-print-directory build-portable
	cd build/portable && $(CTEST) --output-on-failure -j $(JOBS)

# What install put there: the fixed files, plus every file a release
# artifact brought (listed in lib/hone/release.txt).
# Says what it removed, or that nothing was installed there.
uninstall:
	@p="$(PREFIX)"; r="$$p/lib/hone/release.txt"; n=0; \
	[ -d "$$p" ] || { echo "nothing to uninstall: $$p does not exist"; exit 0; }; \
	list=$$({ if [ -f "$$r" ]; then sed -n 's/^file //p' "$$r"; echo lib/hone/release.txt; fi; \
	          for f in $(INSTALLED_FILES); do echo "$$f"; done; } | sort -u); \
	for f in $$list; do \
	  if [ -e "$$p/$$f" ] || [ -L "$$p/$$f" ]; then rm -f "$$p/$$f" && echo "removed $$p/$$f" && n=$$((n + 1)); fi; \
	done; \
	rmdir "$$p/lib/hone" "$$p/share/doc/hone" "$$p/share/hone/models" "$$p/share/hone" 2>/dev/null || true; \
	if [ "$$n" -eq 0 ]; then echo "nothing to uninstall: hone is not installed in $$p"; \
	else echo "removed hone from $$p ($$n files)"; fi

clean-build:
	rm -rf build

# Side-by-side speed against the reference llama.cpp (ci/bench-native.sh).
THREADS ?= 2
ROUNDS ?= 6
DEPTH ?= 0
HONE_LOAD ?= auto
bench-native: build-native build-portable
	@test -n "$(MODEL)" || { echo "usage: make bench-native MODEL=file.gguf [THREADS=2 ROUNDS=6 DEPTH=0 HONE_LOAD=auto|mmap]" >&2; exit 1; }
	HONE_LOAD=$(HONE_LOAD) bash ci/bench-native.sh "$(MODEL)" $(THREADS) $(ROUNDS) 512 128 $(DEPTH)

# Time to first token of a fresh process, hone vs llama-completion (ci/ttft.sh).
bench-ttft: build-native
	@test -n "$(MODEL)" || { echo "usage: make bench-ttft MODEL=file.gguf [THREADS=2 ROUNDS=6]" >&2; exit 1; }
	bash ci/ttft.sh "$(MODEL)" $(THREADS) $(ROUNDS)

# Which CPU's kernel table decodes fastest here (ci/bench-tables.sh).
bench-tables: build-native
	@test -n "$(MODEL)" || { echo "usage: make bench-tables MODEL=file.gguf [THREADS=2 ROUNDS=6]" >&2; exit 1; }
	bash ci/bench-tables.sh "$(MODEL)" $(THREADS) $(ROUNDS)

# The release artifacts of this commit (reproducible; see ci/release.sh).
release:
	JOBS=$(JOBS) WERROR=$(WERROR) bash ci/release.sh
