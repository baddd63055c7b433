# The two commands a newcomer runs: `make demo` and `make test`. Both create .venv if missing.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install kafka demo test chaos unit integration check bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Tide with its pinned dependencies

kafka: ## fetch Apache Kafka 4.4.0 from Maven Central (once; skipped with a reason without java/mvn)
	bash scripts/fetch-kafka.sh

demo: install ## run the whole pipeline once on the embedded stack (about a minute)
	$(VENV)/bin/tide demo

TEST_WORKERS ?= 2
test: install kafka ## unit + integration tests (starts its own brokers and registry), on 2 workers
	bash scripts/ensure-compose.sh
	bash scripts/ensure-browser.sh
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations 40

chaos: install kafka ## the crash tests at full size (more kills, longer) on both brokers, and the fuzzers longer
	TIDE_CHAOS=1 $(PY) -m pytest tests/integration/test_window_chaos.py \
		tests/integration/test_registry_failover.py tests/integration/test_publisher_outages.py \
		tests/integration/test_projections.py tests/integration/test_order_commands.py \
		tests/integration/test_sagas.py tests/unit/registry/test_api_fuzz.py \
		tests/unit/lake/test_http_fuzz.py tests/integration/test_land_follow.py \
		tests/integration/test_land_chaos.py \
		-v --timeout 1800

unit: install
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

check: install ## lint, format check, type check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: install ## throughput figures, each with a baseline from the same run
	$(PY) -m bench.produce --broker both
	$(PY) -m bench.land --broker both
	$(PY) -m bench.freshness --broker both
	$(PY) -m bench.sql
	$(PY) -m bench.registry --kafka
	$(PY) -m bench.windows --broker both
	$(PY) -m bench.projections --broker both
	$(PY) -m bench.console

clean:
	rm -rf $(VENV) .tide
