# Chapter 6 notebooks: `make help` lists the targets.
SHELL := /bin/bash
PY := .venv/bin/python
PROFILE ?= sample
NB ?=
JOBS ?= 2
DATA ?=
SIZE ?= small
SEED ?=
SEEDS ?= 2026 7 99
SUBMISSIONS ?=
OUT ?= build/grades
SCHEDULER ?=
MOODLE_WORKSHEET ?=
SOURCE ?=
GRADE_ARGS = --out "$(OUT)" --jobs $(JOBS) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(FORCE),--force) $(if $(SOURCE),--source "$(SOURCE)")
EDITION ?= student
DATA_DIR ?= $(CURDIR)/data
comma := ,
CI_DIR := build/ci$(if $(NB),-$(subst $(comma),_,$(NB)))
export DATA_DIR
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_ENABLE_ONEDNN_OPTS := 0

.DEFAULT_GOAL := help
.PHONY: help setup data sample notebooks lessons test test-unit test-notebooks test-real student release grade html results check-site bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: .venv/.installed ## Create .venv and install requirements.txt (+ the ch6 package)

.venv/.installed: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get install -y -q bubblewrap >/dev/null; } || echo "note: bubblewrap (Debian package 'bubblewrap') is not installed; make grade will use its weaker fallback sandbox"
	@command -v chromium >/dev/null || echo "note: apt-get install chromium chromium-driver fonts-noto-cjk for make check-site (and Chinese text in plots)"
	touch $@

data: setup ## Download and verify the real datasets into data/real (needs internet; MIRROR=url for a mirror)
	$(PY) -m ch6.data.download $(if $(MIRROR),--mirror $(MIRROR))

sample: setup ## Generate the offline sample data into data/sample (SIZE=full: data/sample-full; SEED=N: data/sample-seedN)
	$(PY) -m ch6.data.sample --size $(SIZE) $(if $(SEED),--seed $(SEED))

# The sample data set's folder is ch6.paths.dataset_folder("sample") (tests/test_real_path.py checks this line).
$(DATA_DIR)/sample/MANIFEST.json: | .venv/.installed
	$(PY) -m ch6.data.sample --size small --out $(DATA_DIR)/sample

# The data set a notebooks run reads: DATA, else the profile's (full and smoke-full: real; the others: sample).
NB_DATA = $(or $(DATA),$(if $(filter full smoke-full,$(PROFILE)),real,sample))

notebooks: setup $(if $(filter sample,$(NB_DATA)),$(DATA_DIR)/sample/MANIFEST.json) ## Execute notebooks, write back on success (PROFILE=sample|full|smoke-full|ci NB=6-3-5 JOBS=2 DATA=sample-full)
	$(PY) -m ch6.runner --profile $(PROFILE) --jobs $(JOBS) $(if $(NB),--nb $(NB)) $(if $(DATA),--data $(DATA))

lessons: setup ## Run the notebooks on sample data of each seed and print which lessons hold (SEEDS="2026 7 99" NB=...)
	$(PY) -m ch6.runner.lessons --seeds $(SEEDS) --jobs $(JOBS) $(if $(NB),--nb $(NB)) --out benchmarks/lessons.md

test: test-unit test-notebooks test-real ## Run all tests: unit tests, every notebook with the ci profile, the real-data path

test-unit: setup $(DATA_DIR)/sample/MANIFEST.json ## Unit tests of the ch6 package (loaders, sample data, grader)
	$(PY) -m pytest -q -n 2 --dist loadfile tests

test-real: setup $(DATA_DIR)/sample/MANIFEST.json ## The real-data path offline: local mirror -> make data -> all notebooks, PROFILE=smoke-full
	CH6_TEST_REAL=1 $(PY) -m pytest -q -s -p no:cacheprovider tests/test_real_path.py

test-notebooks: setup $(DATA_DIR)/sample/MANIFEST.json ## Execute the notebooks with the ci profile under nbval (NB=...)
	rm -rf $(CI_DIR) && $(PY) -m ch6.runner --profile ci --prepare-only --out $(CI_DIR) $(if $(NB),--nb $(NB)) >/dev/null
	CH6_PROFILE=ci $(PY) -m pytest -q -n 2 --dist loadscope --nbval-lax --nbval-current-env --nbval-cell-timeout=600 $(CI_DIR)

student: setup ## Write blank student copies (no solutions, hidden tests or outputs) to build/student and build/student.zip
	$(PY) -m ch6.grader.student

release: setup ## Write the student edition (notebooks with lecture outputs, package, setup guide) to build/release and build/release.zip
	$(PY) -m ch6.grader.release

grade: setup $(DATA_DIR)/sample/MANIFEST.json ## Grade SUBMISSIONS=dir|moodle.zip [MOODLE_WORKSHEET=csv] [OUT=dir] [JOBS=n] [SCHEDULER=..] [FORCE=1] (docs/GRADING.md)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=dir|moodle.zip [MOODLE_WORKSHEET=csv] [OUT=dir] [JOBS=n]"; exit 2; }
	@if [[ -n "$(MOODLE_WORKSHEET)" || "$(SUBMISSIONS)" == *.[zZ][iI][pP] ]]; then set -x; \
	  $(PY) -m ch6.grader.lms "$(SUBMISSIONS)" $(if $(MOODLE_WORKSHEET),--worksheet "$(MOODLE_WORKSHEET)") $(GRADE_ARGS); \
	else set -x; $(PY) -m ch6.grader "$(SUBMISSIONS)" $(GRADE_ARGS); fi

html: setup ## Render the student edition into build/site (EDITION=instructor: with solutions; nothing is re-run)
	$(PY) -m ch6.site.build --out build/site --edition $(EDITION)

results: setup ## Print the lecture-vs-run table of the committed notebooks; refresh README.md's results block
	$(PY) -m ch6.results --readme README.md

check-site: html ## Open every page of build/site in headless Chromium; screenshots in build/site-screenshots
	$(PY) -m ch6.site.browser --site build/site --shots build/site-screenshots

bench: setup $(DATA_DIR)/sample/MANIFEST.json ## Benchmarks: data prep vs the lecture's loops, ci and sample suites, full-profile estimate
	$(PY) -m ch6.bench --jobs 2 --readme README.md

clean: ## Remove build/ (executed copies, student versions, grades); keeps data/ and .venv
	rm -rf build
