"""`segments` for spark-submit, which runs a Python file rather than a console script:

    spark-submit --master spark://host:7077 scripts/segments_submit.py report --config c.yml --out o --engine spark

Without --master among the report's options, the engine uses spark-submit's session."""
import sys

from analysis.cli import main

sys.exit(main(sys.argv[1:]))
