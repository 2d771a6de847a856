# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint docs format clean prometheus

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/planner validate examples/*.yaml
	$(BIN)/planner catalog list --accelerator L4 --region us-east-1 --region us-central1 --max-price 1.5
	$(BIN)/planner plan examples/chatbot-fleet.yaml

# checkov pins old boto3/packaging releases, so it gets a virtual environment of its own.
.venv-checkov/.installed:
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet 'checkov>=3.2,<4'
	touch $@

# The observe tests scrape with a real Prometheus: Debian's package, downloaded (apt-get
# download, no root needed) and unpacked into $(PROMETHEUS_DIR) under the project; nothing is
# installed system-wide and no service is enabled. The tests start and stop it from there, and
# skip, saying so, where it cannot be had (no apt).
PROMETHEUS_DIR ?= .prometheus

prometheus: $(PROMETHEUS_DIR)/usr/bin/prometheus

$(PROMETHEUS_DIR)/usr/bin/prometheus:
	@mkdir -p $(PROMETHEUS_DIR)/deb
	@(cd $(PROMETHEUS_DIR)/deb && apt-get download prometheus >/dev/null 2>&1) \
		&& dpkg -x $(PROMETHEUS_DIR)/deb/prometheus_*.deb $(PROMETHEUS_DIR) \
		|| echo "prometheus could not be downloaded: its tests will be skipped"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

DOCS_SITE ?= .site

# The manual (docs/, mkdocs.yml): every warning is an error.
docs: $(VENV)/.dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(DOCS_SITE)

test: lint docs .venv-checkov/.installed prometheus
	$(BIN)/pytest -q -n 2

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .venv-checkov .pytest_cache .ruff_cache .hypothesis .site
