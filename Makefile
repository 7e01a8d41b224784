# The two commands of the README:
#   make book   build the Jupyter Book, executing every notebook against the Earthdata sandbox
#   make test   run every check: lint, unit tests, sandbox tests, notebooks (nbval), book checks
# Both set up .venv from requirements/lock.txt first (scripts/bootstrap.sh).
#   make test-latest   the unit and sandbox tests and the notebooks on the NEWEST releases of
#                      every dependency (.venv-latest, no lock); CI runs it after `make test`.
# With an Earthdata Login account (EARTHDATA_USERNAME + EARTHDATA_PASSWORD, EARTHDATA_TOKEN or
# ~/.netrc) and the network, against NASA's REAL services, without the sandbox:
#   make live        every notebook, checked for structure; _build/live/report.md + executed copies
#   make book-live   the book with real outputs (BOOK_OUTPUTS=live: pages say the data are real)

#   make test-faults  notebooks 01-04 under injected faults (sandbox --faults moderate), both
#                     regions, outputs compared with the committed ones; PROFILE=harsh for more
.PHONY: book test test-latest test-faults setup lint format clean live book-live

setup:
	bash scripts/bootstrap.sh

book: setup
	bash scripts/build_book.sh

test: setup
	bash scripts/test.sh

test-latest:
	bash scripts/test_latest.sh

test-faults: setup
	bash scripts/test_faults.sh $(or $(PROFILE),moderate)

live: setup
	.venv/bin/python scripts/live.py $(LIVE_ARGS)

book-live: setup
	@# Refused at once without credentials, and inside the sandbox (that would not be live).
	.venv/bin/python scripts/live.py --check-credentials --refuse-sandbox
	BOOK_OUTPUTS=live .venv/bin/jupyter-book build . --all --warningiserror --keep-going
	.venv/bin/python scripts/live.py --scan _build/html

lint: setup
	@# The hooks of .pre-commit-config.yaml (ruff, the Jupytext pairs); ruff alone without pre-commit.
	@if [ -x .venv/bin/pre-commit ]; then \
		.venv/bin/pre-commit run --all-files --show-diff-on-failure --color=never; \
	else \
		echo "make lint: pre-commit is not in .venv, running ruff only"; \
		.venv/bin/ruff check . && .venv/bin/ruff format --check .; \
	fi

format: setup
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

clean:
	rm -rf _build .pytest_cache
