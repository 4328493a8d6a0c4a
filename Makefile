# Parley developer commands. `make run` and `make test` work on a fresh Debian/Ubuntu machine.
PY := .venv/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint bench clean

run:
	@installer/bootstrap.sh run
	@$(PY) -m client.devrun

# Media tests time real streams on a shared 2-core machine; a test that fails is run once more and
# the rerun is reported (R in the summary), so a load spike is visible but does not fail CI.
test:
	@installer/bootstrap.sh test
	@$(PY) -m pytest --reruns 1 --reruns-delay 2 $(PYTEST_ARGS)

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

# Installers (installer/). `make msi` builds dist/Parley-VERSION.msi with wixl from PAYLOAD, the
# PyInstaller onedir build of the Windows runner (see .github/workflows/windows.yml).
# `make deb` freezes the app here with PyInstaller and packages dist/parley_VERSION_amd64.deb.
PAYLOAD ?= dist/Parley

.PHONY: msi deb

msi:
	@$(PY) installer/msi/build_msi.py $(PAYLOAD)

deb:
	@installer/bootstrap.sh test
	@$(PY) -m pip install -q -e ".[freeze]"
	@$(PY) -m PyInstaller --noconfirm --clean --distpath dist/linux --workpath build/pyinstaller installer/parley.spec
	@installer/deb/build.sh dist/linux/Parley
