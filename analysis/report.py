"""One report run: analysis, exports, page sources, then the site (and PDF)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from .config import load_config
from .errors import UserError
from .pages import build_pages, nav, site_meta, summary_csv
from .exports import write_exports
from .pipeline import analyse
from .render import build_site, quarto_yml, write_sources


def build_report(config: Path, out: Path, customers: str | None = None, transactions: str | None = None,
                 seed: int | None = None, pdf: bool = True,
                 sources_only: bool = False, progress: Callable[[str], None] = lambda s: None) -> Path:
    cfg = load_config(config)
    for given, section, option in ((customers, "customers", "--customers"), (transactions, "transactions", "--transactions")):
        if given is None:
            continue
        current = getattr(cfg, section)
        if current is None:
            raise UserError(f"{config}: {option} replaces the config's '{section}' file, but the config has no "
                            f"'{section}' section")
        cfg = cfg.model_copy(update={section: current.model_copy(update={"path": str(Path(given).resolve())})})
    if seed is not None:
        cfg = cfg.model_copy(update={"seed": seed})
    run = analyse(cfg, progress)
    progress("writing exports")
    write_exports(run, out / "exports")
    results = run.results
    has_pdf = pdf and not sources_only and _pdf_available(progress)
    pages = build_pages(results, has_pdf)
    csv_text = summary_csv(results)
    write_sources(pages, out, {"downloads/segments.csv": csv_text})
    if not (out / "_quarto.yml").exists():
        cmd = f"{sys.executable} -m analysis report --config {config.resolve()} --out . --sources-only"
        (out / "_quarto.yml").write_text(quarto_yml(results.title, cmd, nav(results)), encoding="utf-8")
    if sources_only:
        return out
    files = {"downloads/segments.csv": csv_text.encode()}
    if has_pdf:
        from .pdf import build_pdf

        progress("building the PDF")
        files["report.pdf"] = build_pdf(results, progress)
    progress(f"rendering {len(pages)} pages")
    build_site(pages, out, out / "site", site_meta(results, has_pdf), files)
    return out / "site"


def _pdf_available(progress) -> bool:
    from .pdf import chart_engine_missing

    missing = chart_engine_missing()
    if missing:
        progress(f"no PDF: {missing}")
        return False
    return True
