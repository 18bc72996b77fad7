# dh-pyrpath: make demo | make check | make check-fast | make install | make man
# Every target that needs packages installs them itself (fresh Debian bookworm, as root).

PYTHON      := /usr/bin/python3
VERSION     := $(shell dpkg-parsechangelog -SVersion 2>/dev/null)
BUILD       := $(CURDIR)/build
PODS        := $(wildcard debhelper/*.pod)
MANPAGES    := $(patsubst debhelper/%.pod,build/man/%.1,$(PODS))
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
# What building and testing dh-pyrpath itself needs (its runtime Depends come with its .deb).
TOOL_DEPS   := build-essential debhelper dpkg-dev python3 python3-debian python3-packaging python3-pytest perl fakeroot
# libpython3.11: the staged interpreter must not load Debian's copy even when it is installed.
# sbuild, mmdebstrap, uidmap: the offline build in a clean chroot (unshare mode); python3-pip: pyrpath vendor;
# gdb (dbgsym), devscripts (hardening-check), faketime and diffoscope-minimal: the Debian-quality tests;
# python3-jsonschema: validating the SBOMs against the CycloneDX schema (fetched from PyPI into the test cache);
# apt-utils (apt-ftparchive): the local apt repository of the runtime-package workflow (test_runtime_workflow).
TEST_DEPS   := lintian binutils curl ca-certificates libpython3.11 sbuild mmdebstrap uidmap python3-pip \
               gdb devscripts faketime diffoscope-minimal dh-virtualenv python3-venv python3-jsonschema \
               libcairo2-dev apt-utils

.PHONY: all man clean-man clean deps deps-test subids deb install demo check check-fast bench

all: man

man: $(MANPAGES)

build/man/%.1: debhelper/%.pod
	@mkdir -p build/man
	pod2man --section=1 --utf8 --center=Debhelper --release="dh-pyrpath $(VERSION)" \
		--name=$(shell echo $* | tr a-z A-Z) $< > $@

clean-man:
	rm -rf build/man

clean: clean-man
	rm -rf build .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

deps:
	apt-get update -q
	$(APT_INSTALL) $(TOOL_DEPS)

deps-test: deps subids
	$(APT_INSTALL) $(TEST_DEPS)

# sbuild's unshare mode maps the building user to a subordinate id range: give root one if it has none.
subids:
	for f in /etc/subuid /etc/subgid; do grep -q '^root:' $$f 2>/dev/null || echo 'root:100000:65536' >> $$f; done

# Build dh-pyrpath's own .deb from a copy of the work tree (keeps the tree clean).
deb: deps
	rm -rf $(BUILD)/pkg && mkdir -p $(BUILD)/pkg/dh-pyrpath
	tar --exclude=./build --exclude=./.git --exclude=./bench/.work --exclude=./bench/.cache \
		--exclude=./bench/.venv -cf - . | tar -xf - -C $(BUILD)/pkg/dh-pyrpath
	cd $(BUILD)/pkg/dh-pyrpath && dpkg-buildpackage -b -us -uc
	@ls -l $(BUILD)/pkg/*.deb

# --reinstall: a rebuilt .deb of the same version must replace the installed one (apt would keep it).
# dh-pyrpath-compile: the compiler and -dev packages the tests' CPython compiles need.
install: deb
	$(APT_INSTALL) --reinstall $(wildcard $(BUILD)/pkg/dh-pyrpath_*_all.deb) \
		$(wildcard $(BUILD)/pkg/dh-pyrpath-compile_*_all.deb)

demo: install
	examples/run-demo $(BUILD)/demo

check: install deps-test
	$(PYTHON) -m pytest -v --durations=40 tests

check-fast: deps-test
	$(PYTHON) -m pytest -q -m "not slow" tests

# The benchmarks of bench/README.md with this checkout's dh-pyrpath (2 hours or more; results in bench/results/).
# make bench QUICK=1: a reduced smoke-test run, results in bench/results/quick/.
bench: deps subids
	$(APT_INSTALL) $$($(PYTHON) bench/run_all.py --apt-packages)
	$(PYTHON) bench/run_all.py $(if $(QUICK),--quick)
