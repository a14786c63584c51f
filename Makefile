# The course's commands. Each one runs scripts/setup.sh first, which installs only what is missing.
.PHONY: lab test execute check nav mutants warm clean-kernels setup browser-test binder-check repo2docker-check bench-kernel

## Open the course in JupyterLab.
lab:
	@scripts/setup.sh --warm
	@scripts/lab.sh

## Run every test: fmt, clippy, cargo test, and every notebook through the real kernel.
test: setup
	@scripts/test.sh

## Re-run every notebook headless and write its fresh outputs (what gets committed).
## One notebook: make execute NOTEBOOKS=notebooks/01-why-async.ipynb
execute: setup
	@.venv/bin/python scripts/notebooks.py execute $(NOTEBOOKS)

## Static check of the committed notebooks (no kernel).
check: setup
	@.venv/bin/python scripts/notebooks.py check $(NOTEBOOKS)

## Write every chapter's navigation lines from the chapters' titles.
nav: setup
	@.venv/bin/python scripts/notebooks.py nav

## Break the code on purpose (tests/mutants.toml) and check each claim it must break turns ✘
## (and that 01 and 03 without Python, 08 without wrk, run through with that claim not judged).
## One: make mutants MUTANTS="01-every-thread-counts-all"
mutants: setup
	@.venv/bin/python scripts/mutants.py $(if $(MUTANTS),--only $(MUTANTS))

## Chapter 01 in JupyterLab, driven by headless Chromium (part of `make test`).
browser-test: setup
	@scripts/browser-test.sh

## Binder's postBuild with a throwaway HOME, then a warm first cell (part of `make test`).
binder-check: setup
	@scripts/binder-check.sh

## The Dockerfile mybinder.org's repo2docker would build, checked without Docker (part of `make test`).
repo2docker-check:
	@scripts/repo2docker-check.sh

## How fast the kernel answers: a bare kernel against one with support, and each chapter's
## first cell in a fresh kernel (a benchmark, not a test; run it on a quiet machine).
bench-kernel: setup
	@.venv/bin/python scripts/bench_kernel.py

## Build the kernels' first build directory for every chapter's set-up (make lab does it too).
warm:
	@scripts/setup.sh --warm

## Remove the Rust kernels' build directories (target/kernels): the next kernel, or make warm,
## builds them again. For a slot that is broken; refuses while a kernel holds a slot.
clean-kernels:
	@python3 scripts/kernel.py --clean

setup:
	@scripts/setup.sh
