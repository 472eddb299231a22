# The two commands the README opens with: `make demo` and `make test`.
PYTHON ?= python3

.PHONY: install demo test bench docs eval-real

install:
	$(PYTHON) -m pip install -q -e '.[test,pdf,browse]'

demo: install
	$(PYTHON) -m zwgk.cli demo --out demo-output

test: install
	$(PYTHON) -m pytest -q

bench: install
	$(PYTHON) -m zwgk.cli bench crawl --pages 5000
	$(PYTHON) -m zwgk.cli bench check --pages 100000
	$(PYTHON) -m zwgk.cli bench report --sites 200

# The real-page corpus beside the project (never copied into it): extraction figures per CMS family.
CORPUS ?= ../shared/corpus
eval-real: install
	$(PYTHON) -m zwgk.cli eval pages $(CORPUS)/pages --labels $(CORPUS)/pages.yaml

docs:
	$(PYTHON) -m zwgk.rule_docs
