"""One report run: analysis, exports, page sources, then the site (and PDF)."""
from __future__ import annotations

import shutil
import sys
from contextlib import closing, nullcontext
from pathlib import Path
from typing import Callable

from .ingest.checking import with_input
from .config import load_config
from .errors import UserError
from .publish.outputs import locked, publish, staging
from .publish.pages import build_pages, nav, site_meta, summary_csv
from .engine import Engine, get_engine
from .pipeline import analyse
from .publish.render import build_site, quarto_yml, write_sources


def build_report(config: Path, out: Path, customers: str | None = None, transactions: str | None = None,
                 seed: int | None = None, pdf: bool = True,
                 sources_only: bool = False, progress: Callable[[str], None] = lambda s: None,
                 engine: str | None = None, master: str | None = None) -> Path:
    cfg = load_config(config)
    cfg = with_input(cfg, config, customers, transactions)
    if seed is not None:
        cfg = cfg.model_copy(update={"seed": seed})
    if engine is not None or master is not None:
        cfg = cfg.model_copy(update={"engine": engine or cfg.engine, "master": master or cfg.master})
    if cfg.master is not None and cfg.engine != "spark":
        raise UserError(f"{config}: a Spark master ({cfg.master}) is for the Spark engine: "
                        "add --engine spark (or engine: spark to the config), or leave out --master")
    has_pdf = pdf and not sources_only and _pdf_available(progress)
    # One engine for the run: the analysis and the exports; a Spark session is stopped at the end.
    # The PDF's browser starts now, beside the analysis.
    with locked(out), closing(get_engine(cfg.engine, cfg.master)) as eng, \
            (_chart_drawer() if has_pdf else nullcontext()) as drawer:
        run = analyse(cfg, progress, eng)
        stage = staging(out)
        try:
            sources = _build(run, out, stage, drawer, sources_only, progress, eng)
            progress("publishing")
            publish(out, stage)
        except OSError as e:  # a full disk, a read-only folder: the previous outputs are untouched
            raise UserError(f"{out}: could not write the outputs ({e.strerror or e}); "
                            "the previous site/ and exports/ are unchanged") from None
        finally:
            if drawer is not None:  # its thread may still be writing charts into the stage: stopped first
                drawer.close()
            shutil.rmtree(stage, ignore_errors=True)
        # The Quarto project's sources, beside the outputs, for `quarto render`.
        write_sources(*sources)
        if not (out / "_quarto.yml").exists():
            cmd = f"{sys.executable} -m analysis report --config {config.resolve()} --out . --sources-only"
            (out / "_quarto.yml").write_text(quarto_yml(run.results.title, cmd, nav(run.results)), encoding="utf-8")
    return out if sources_only else out / "site"


def _build(run, out: Path, stage: Path, drawer, sources_only: bool, progress, eng: Engine):
    """Everything a run publishes, written into `stage`; returns what write_sources needs. With a
    chart drawer, the PDF's charts are drawn while the exports and the site are written."""
    results = run.results
    has_pdf = drawer is not None
    finish_pdf = None
    if has_pdf:
        from .publish.pdf import begin_pdf

        progress("building the PDF")
        (stage / "pdf").mkdir()
        finish_pdf = begin_pdf(results, drawer, stage / "pdf", progress)
    progress("writing exports")
    eng.write_exports(run, stage / "exports")
    if run.model is not None:  # the saved segmentation, for `segments assign`
        from .segment.model import save

        save(run.model, stage / "exports" / "model")
    pages = build_pages(results, has_pdf)
    csv_text = summary_csv(results)
    sources = (pages, out, {"downloads/segments.csv": csv_text})
    if sources_only:
        return sources
    progress(f"rendering {len(pages)} pages")
    write_sources(pages, stage / "sources", {"downloads/segments.csv": csv_text})
    build_site(pages, stage / "sources", stage / "site", site_meta(results, has_pdf),
               {"downloads/segments.csv": csv_text.encode()})
    if finish_pdf is not None:
        (stage / "site" / "report.pdf").write_bytes(finish_pdf())
    return sources


def _chart_drawer():
    from .publish.pdf import ChartDrawer

    return closing(ChartDrawer())


def _pdf_available(progress) -> bool:
    from .publish.pdf import chart_engine_missing

    missing = chart_engine_missing()
    if missing:
        progress(f"no PDF: {missing}")
        return False
    return True
