# The two commands the README opens with: `make demo` and `make test`.
PYTHON ?= python3

.PHONY: install demo test test-stress bench docs eval-real

install:
	$(PYTHON) -m pip install -q -e '.[test,pdf,browse]'

demo: install
	$(PYTHON) -m zwgk.cli demo --out demo-output

# one test file per core (pytest-xdist): a file's module fixtures (a crawl, two rounds) are built once
PARALLEL ?= -n auto --dist loadfile
test: install
	$(PYTHON) -m pytest -q $(PARALLEL)

# The whole suite RUNS times in a row with every core kept busy (stress-ng, else a busy loop per core):
# each run's result line and wall time; the load is stopped whatever happens. PYTEST_ARGS narrows it (-k …).
RUNS ?= 3
PYTEST_ARGS ?=
test-stress: install
	$(PYTHON) tests/stress.py --runs $(RUNS) $(PARALLEL) $(PYTEST_ARGS)

bench: install
	$(PYTHON) -m zwgk.cli bench crawl --pages 5000
	$(PYTHON) -m zwgk.cli bench check --pages 100000
	$(PYTHON) -m zwgk.cli bench report --sites 200

# The real-page corpus beside the project (never copied into it): extraction figures per CMS family; then
# the real county portal mirror served on loopback and evaluated end to end, inside a network namespace
# that has only loopback (as root), with host_map and --no-external: nothing of it leaves the machine.
CORPUS ?= ../shared/corpus
REAL_OUT ?= /tmp/zwgk-eval-real
eval-real: install
	$(PYTHON) -m zwgk.cli eval pages $(CORPUS)/pages --labels $(CORPUS)/pages.yaml
	rm -rf $(REAL_OUT)
	unshare -n sh -c 'ip link set lo up; $(PYTHON) -m zwgk.cli eval site $(CORPUS)/sites/zhecheng-2018/site.tar.gz \
	  --host www.zhecheng.gov.cn --id zhecheng --name 柘城县人民政府 --site-code 4114240001 --as-of 2018-07-27 \
	  --workspace $(REAL_OUT)/workspace --out $(REAL_OUT)/report'

docs:
	$(PYTHON) -m zwgk.rule_docs
