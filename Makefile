# Parley developer commands. `make run` and `make test` work on a fresh Debian/Ubuntu machine.
PY := .venv/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint bench clean

run:
	@installer/bootstrap.sh run
	@$(PY) -m client.devrun

test:
	@installer/bootstrap.sh test
	@$(PY) -m pytest $(PYTEST_ARGS)

lint:
	@installer/bootstrap.sh test
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(PY) -m mypy

bench:
	@installer/bootstrap.sh test
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf .parley-dev dist build *.egg-info
