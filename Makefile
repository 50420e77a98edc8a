# Accord — set-up, run and test. GNU make on Debian; `make run` and `make test` are all a
# newcomer needs. Every target is idempotent and quick when nothing changed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

PORT ?= 8000
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
STAMP := $(VENV)/.requirements.stamp
# Debian packages: msgfmt for compilemessages, Chromium for the browser tests, a CJK font and
# HarfBuzz subsetting for WeasyPrint, pdfsig for checking PDF signatures, certutil for
# Chromium's certificate store.
SYSTEM_PACKAGES := gettext chromium fonts-wqy-microhei libharfbuzz-subset0 poppler-utils \
	libnss3-tools

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# A development tool: DEBUG on unless the environment says otherwise (run and test force it).
export DEBUG ?= 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup system-packages venv migrate messages makemessages demo run test

help:
	@echo "make run            set up, migrate, load demo data, serve on PORT=$(PORT) with Celery"
	@echo "make test           set up, then ruff, import-linter, migrations check and pytest"
	@echo "make setup          system packages, .venv, compiled translations"
	@echo "make migrate        apply database migrations"
	@echo "make makemessages   update locale/zh_Hans/LC_MESSAGES/django.po from the sources"

# Installs only what is missing; `apt-get update` runs only when something is.
system-packages:
	@missing=""
	for pkg in $(SYSTEM_PACKAGES); do
		dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q 'install ok installed' \
			|| missing="$$missing $$pkg"
	done
	# Debian's own python3 needs its -venv package before `python -m venv` works.
	if ! "$(PYTHON)" -c 'import ensurepip, venv' 2>/dev/null; then
		missing="$$missing python3-venv"
	fi
	[ -z "$$missing" ] && exit 0
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "NOTE: missing system packages:$$missing"
		echo "      Install them (e.g. sudo apt-get install$$missing); continuing without them:"
		echo "      the browser tests skip without chromium, translations need gettext."
		exit 0
	fi
	echo "Installing system packages:$$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $$missing

$(VENV)/bin/python: | system-packages
	"$(PYTHON)" -m venv $(VENV)

# Reinstalls only when a requirements file changed since the last install.
$(STAMP): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# compilemessages walks the whole tree: keep it out of the virtualenv and var/.
messages: $(STAMP)
	@mkdir -p locale
	python manage.py compilemessages --verbosity=0 \
		--ignore=$(VENV) --ignore=var --ignore=node_modules

makemessages: $(STAMP)
	python manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore=tests --ignore=bench \
		--ignore=$(VENV) --ignore=var --ignore=node_modules

setup: system-packages venv messages .env

# Local development values, so that a bare `python manage.py …` works in this checkout.
.env:
	printf '# Development only; never deploy this file.\nDEBUG=1\n' > .env

migrate: setup
	python manage.py migrate --noinput

# The platform's CA, then demo data (both idempotent).
demo: migrate
	python manage.py init_pki
	@if python manage.py help demo >/dev/null 2>&1; then
		python manage.py demo
	else
		echo "No demo command yet: skipping demo data."
	fi

# The development server, a Celery worker and its embedded beat, each in its own process
# group; Ctrl-C (or TERM/HUP) stops all of them. Without CELERY_BROKER_URL the broker is
# kombu's filesystem transport under var/ (settings.py maps filesystem:// there).
run: export DEBUG := 1
# Links in emails and the QR codes of PDFs point at the port the server runs on.
run: export ACCORD_PUBLIC_URL ?= http://localhost:$(PORT)
run: demo
	@export CELERY_BROKER_URL="$${CELERY_BROKER_URL:-filesystem://}" CELERY_TASK_ALWAYS_EAGER=0
	export CACHE_URL="$${CACHE_URL:-filecache://$$(realpath -m "$${ACCORD_VAR_DIR:-var}")/cache}"
	mkdir -p "$${ACCORD_VAR_DIR:-var}/celery"
	groups=()
	# Live (not zombie) members of the process groups we started.
	alive() {
		ps -e -o pgid=,stat= | awk -v groups="$${groups[*]}" \
			'BEGIN { split(groups, g, " "); for (i in g) want[g[i]] = 1 }
			 ($$1 in want) && $$2 !~ /^Z/ { found = 1 } END { exit !found }'
	}
	stop() {
		trap - INT TERM HUP
		# The leaders shut their own children down (Celery's warm shutdown); whatever is
		# left of their groups after 15 s is killed.
		for pgid in "$${groups[@]}"; do kill -TERM "$$pgid" 2>/dev/null || true; done
		for _ in $$(seq 150); do alive || break; sleep 0.1; done
		for pgid in "$${groups[@]}"; do kill -KILL -- "-$$pgid" 2>/dev/null || true; done
		wait || true
	}
	trap 'stop; exit 130' INT TERM HUP
	echo "Accord: http://127.0.0.1:$(PORT)/  (Celery broker: $${CELERY_BROKER_URL%%://*}; Ctrl-C stops)"
	# Gossip, mingle and heartbeats would leave a fanout queue per run on the filesystem broker.
	setsid celery -A project worker -B --pool=prefork --concurrency=1 --loglevel=INFO \
		--without-gossip --without-mingle --without-heartbeat & groups+=("$$!")
	setsid python manage.py runserver "0.0.0.0:$(PORT)" & groups+=("$$!")
	status=0
	wait -n || status=$$?
	echo "A process exited (status $$status): stopping the others." >&2
	stop
	exit "$$status"

# Every check runs even when an earlier one failed, so one run shows all that needs fixing.
test: export DEBUG := 1
test: setup
	@failed=()
	step() { echo "==> $$*"; "$$@" || failed+=("$$*"); }
	step ruff check .
	step ruff format --check .
	step lint-imports
	step python manage.py makemigrations --check --dry-run
	step pytest
	if [ "$${#failed[@]}" -gt 0 ]; then
		printf 'make test: FAILED: %s\n' "$${failed[@]}" >&2
		exit 1
	fi
