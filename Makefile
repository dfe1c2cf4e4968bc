# dlkit — student and instructor commands. `make help` lists them.
PY ?= python3
# `make check ex3` passes the exercise as a goal; `make check ex=3` as a variable.
EXERCISE_GOALS := $(filter-out check,$(filter ex%,$(MAKECMDGOALS)))
ex ?=

.PHONY: help install test lint stubs stubs-check check watch status hint meta bench bench-grade grade report list release

help:
	@echo "make install       install the kit and its dependencies (pip)"
	@echo "make test          the kit's full CI suite (lint, stubs, meta-tests)"
	@echo "make check ex3     run the public tests of exercise 3 on exercises/ (make check: all)"
	@echo "make watch ex3     re-run them at each save of exercises/ex03_*.py (Ctrl-C to quit)"
	@echo "make status        one row per exercise: not started / in progress / done, points"
	@echo "make hint ex3      the next hint for the first failing public test of exercise 3"
	@echo "make stubs         regenerate exercises/ from reference/"
	@echo "make meta ex=3     reference / stub / mutant verdicts of one exercise"
	@echo "make bench         time of 'make check ex3' on the reference vs 'import torch'"
	@echo "make grade SUBMISSIONS=dir OUT=results [JOBS=2] [FORCE=1] [ONLY=ex01,ex03]   grade a class (sandboxed)"
	@echo "make report OUT=results [ROSTER=roster.csv]   class statistics, similarity, Moodle/Gradescope exports"
	@echo "make bench-grade   seconds per submission of make grade: -j 1, -j 2, --dask local:2"
	@echo "make release       build dist/student/ and dist/student.zip (leak-scanned student release)"

install:
	$(PY) -m pip install -e ".[dev]"

# Three pytest workers, one test module each at a time (module fixtures are computed
# once), the longest modules first (grading/tests/conftest.py): many kit tests wait on
# child processes (a Dask cluster starting, a sandbox's time limit), and the third worker
# fills those waits on the 2 cores.
TEST_WORKERS ?= 3
test: lint stubs-check
	$(PY) -m pytest grading/tests -p no:cacheprovider -q -n $(TEST_WORKERS) --dist loadscope \
		--no-loadscope-reorder --durations=15

lint:
	$(PY) -m ruff check .

stubs:
	$(PY) -m grading stubs

stubs-check:
	$(PY) -m grading stubs --check

check:
	@$(PY) -m grading check $(ex) $(EXERCISE_GOALS)

watch:
	@$(PY) -m grading watch $(ex) $(EXERCISE_GOALS)

status:
	@$(PY) -m grading status

hint:
	@$(PY) -m grading hint $(ex) $(EXERCISE_GOALS)

meta:
	$(PY) -m grading meta $(if $(ex),ex$(ex)) $(EXERCISE_GOALS)

bench:
	$(PY) -m grading bench ex03

SUBMISSIONS ?= submissions
OUT ?= results
JOBS ?= 2
grade:
	$(PY) -m grading grade "$(SUBMISSIONS)" --out "$(OUT)" -j $(JOBS) $(if $(FORCE),--force) \
		$(if $(ONLY),--exercises $(ONLY))

ROSTER ?=
report:
	$(PY) -m grading report "$(OUT)" $(if $(ROSTER),--roster "$(ROSTER)")

bench-grade:
	$(PY) -m grading bench-grade

release:
	$(PY) -m grading.authoring.release

# Exercise ids given as goals (`make check ex3`) are arguments, not targets.
ex%:
	@:

list:
	@$(PY) -m grading list
