# OneTrip: the two commands. Everything else is `.venv/bin/onetrip --help`.
SHELL := /bin/bash
BIN := .venv/bin
export PYTHON

.PHONY: run test install train validate clean

run: install
	@$(BIN)/onetrip up

test: install
	@bash scripts/test.sh

install:
	@bash scripts/bootstrap.sh

train: install
	@$(BIN)/onetrip train

validate: install
	@$(BIN)/onetrip catalogue validate data/catalogue
	@$(BIN)/rasa data validate --data data/nlu data/rules data/stories --domain domain.yml --config config.yml

clean:
	rm -rf models .rasa var/rasa-cache
