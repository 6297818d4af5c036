# make report: set up, then build site/ (and site/report.pdf) and exports/ from the bundled data.
# make test:   set up (plus the Spark extra and Java), then run the whole test suite.
# make retail: set up, then build the second demo (order lines) into build/retail/.
# make joined: set up, then build the third demo (a customer table and its order lines) into build/joined/.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPARK  := $(VENV)/.spark-installed

.PHONY: setup system spark java report retail joined test bench clean

setup: $(STAMP) system

# The Python environment, pinned by constraints.txt so that every machine computes the same.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# Debian's Chromium draws the PDF's static charts (through kaleido) and runs the browser tests;
# WenQuanYi Micro Hei gives the PDF and its charts the glyphs of Chinese, Japanese and Korean names.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# Noto Color Emoji gives an emoji in a title, a category or a segment name its picture (pages and PDF).
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
system:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium (for PDF charts)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: chromium not found and cannot be installed here; the PDF will be skipped"; fi; }
	@[ -e $(CJK_FONT) ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's fonts-wqy-microhei (CJK glyphs for the PDF)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	  else echo "note: no CJK font here; Chinese, Japanese or Korean text in the PDF would show as boxes"; fi; }
	@[ -e $(EMOJI_FONT) ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's fonts-noto-color-emoji (emoji in titles and names)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null; \
	  else echo "note: no emoji font here; an emoji in a title or name would show as a box"; fi; }

report: setup
	$(BIN)/segments report --config data/marketing_campaign.yml --out .

retail: setup
	$(BIN)/segments report --config data/online_retail.yml --out build/retail

# Generated, not bundled: 5,000 customers with 100,000 order lines and a product map, planted segments
# that show only when both are read (segments synth --joined).
joined: setup
	$(BIN)/segments synth --customers 5000 --transactions 100000 --joined --seed 7 --out build/joined/data
	$(BIN)/segments report --config build/joined/data/config.yml --out build/joined

# The Spark engine's tests need pyspark (the optional extra) and Java; `make report` needs neither.
spark: $(SPARK) java

$(SPARK): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,spark]'
	touch $(SPARK)

java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's openjdk-17-jre-headless (for the Spark engine)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "note: java not found and cannot be installed here; the Spark tests will be skipped"; fi; }

# Two workers, one test file each at a time (module fixtures such as the Spark cluster stay in one),
# in the order tests/conftest.py gives (the Spark files first), not by their number of tests.
test: setup spark
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

bench: setup
	$(BIN)/python bench/bench_report.py

clean:
	rm -rf site exports build downloads *.qmd plotly.min.js site.css site.js .site-*
