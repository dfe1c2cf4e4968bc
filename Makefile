# dlkit — student and instructor commands. `make help` lists them.
PY ?= python3
# `make check ex3` passes the exercise as a goal; `make check ex=3` as a variable.
EXERCISE_GOALS := $(filter-out check,$(filter ex%,$(MAKECMDGOALS)))
ex ?=

.PHONY: help install test lint stubs stubs-check check meta bench list

help:
	@echo "make install       install the kit and its dependencies (pip)"
	@echo "make test          the kit's full CI suite (lint, stubs, meta-tests)"
	@echo "make check ex3     run the public tests of exercise 3 on exercises/ (make check: all)"
	@echo "make stubs         regenerate exercises/ from reference/"
	@echo "make meta ex=3     reference / stub / mutant verdicts of one exercise"
	@echo "make bench         time of 'make check ex3' on the reference vs 'import torch'"

install:
	$(PY) -m pip install -e ".[dev]"

test: lint stubs-check
	$(PY) -m pytest grading/tests -p no:cacheprovider -q

lint:
	$(PY) -m ruff check .

stubs:
	$(PY) -m grading stubs

stubs-check:
	$(PY) -m grading stubs --check

check:
	@$(PY) -m grading check $(ex) $(EXERCISE_GOALS)

meta:
	$(PY) -m grading meta $(if $(ex),ex$(ex)) $(EXERCISE_GOALS)

bench:
	$(PY) -m grading bench ex03

# Exercise ids given as goals (`make check ex3`) are arguments, not targets.
ex%:
	@:

list:
	@$(PY) -m grading list
