# The two commands a new machine needs: `make serve` and `make test`. Both bootstrap uv through pip
# into .tools/ and the locked environment into .venv/ on first use; nothing else has to be installed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
export UV_COMPILE_BYTECODE := 1
# The report fonts (layers/pdf/fonts.py: the PDF layer's own, from Debian 12), for what serve and test run.
FONTS := .tools/fonts/fonts.conf
ASL_DIR := .tools/asl
ASL_VALIDATOR := $(ASL_DIR)/node_modules/.bin/asl-validator
serve test: export FONTCONFIG_FILE := $(CURDIR)/$(FONTS)

.PHONY: serve test browser speech lint typecheck unit generate bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

$(FONTS): layers/pdf/fonts.py
	$(PYTHON) layers/pdf/fonts.py --out .tools/fonts
	touch $@

serve: .venv/.synced $(FONTS)
	$(UV) run --frozen panelist serve --demo $(ARGS)

test: lint typecheck .venv/.synced $(FONTS) browser speech $(ASL_VALIDATOR)
	$(UV) run --frozen pytest -n 2 --dist loadgroup $(ARGS)

# The independent ASL validator that tests/build/test_deployed_shape.py runs on the state machines: the npm
# packages locked in tools/asl/, installed into .tools/asl/ (about 2 s and 8 MB). Needs Node.js 20.16+ (jsep's
# declared minimum) and npm.
$(ASL_VALIDATOR): tools/asl/package.json tools/asl/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "Node.js 20.16+ and npm are missing: the \
	state machine check (asl-validator) needs them. Install Node.js 20 or newer with its npm (Debian 12's own \
	nodejs package is 18, older than a dependency declares), then run make test again." >&2; exit 1; }
	mkdir -p $(ASL_DIR)
	cp tools/asl/package.json tools/asl/package-lock.json $(ASL_DIR)/
	npm ci --prefix $(ASL_DIR) --no-audit --no-fund --loglevel=error
	touch $@

# The browser test (tests/e2e/test_browser_interview.py) drives Debian's Chromium. It is installed here when
# missing and this machine can (root, apt); elsewhere the test says it is skipped and how to install it.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium >/dev/null; } || echo "chromium is missing: the browser test will be skipped (apt-get install chromium)"

# The offline speech tests and bench/speech.py speak their test set with Debian's flite; ffmpeg lets the offline
# engine read browser recordings (webm/ogg/mp4). Installed when missing and this machine can (root, apt); elsewhere
# those tests say they are skipped and how to install them.
speech:
	@{ command -v flite >/dev/null && command -v ffmpeg >/dev/null; } || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends flite ffmpeg >/dev/null; } || \
		echo "flite or ffmpeg is missing: the speech tests will be skipped (apt-get install flite ffmpeg)"

lint: .venv/.synced
	$(UV) run --frozen cfn-lint template.yaml
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: .venv/.synced
	$(UV) run --frozen mypy

# Regenerate what is derived from other files (tests fail when these drift):
#   shared/requirements.txt and layers/pdf/requirements.txt from uv.lock,
#   functions/route_not_found/routes.json from template.yaml,
#   shared/panelist/api/openapi.json from template.yaml and every function's resolver (panelist_local/openapi.py),
#   sdk/panelist_client/models.py from that document,
#   shared/panelist/reports/locales/pages/pages.pot from the candidate pages' templates and modules.
EXPORT := --frozen --no-default-groups --no-emit-project --no-header --format requirements-txt
generate: .venv/.synced
	$(UV) export $(EXPORT) -o shared/requirements.txt
	$(UV) export $(EXPORT) --group pdf -o layers/pdf/requirements.txt
	$(UV) run --frozen panelist routes --json > functions/route_not_found/routes.json
	$(UV) run --frozen python -m panelist_local.openapi --out shared/panelist/api/openapi.json
	$(UV) run --frozen python sdk/generate_models.py
	$(UV) run --frozen ruff format --quiet sdk/panelist_client/models.py
	$(UV) run --frozen python shared/extract_page_messages.py

bench: .venv/.synced
	$(UV) run --frozen python bench/run.py

clean:
	rm -rf .tools .venv .aws-sam .panelist
