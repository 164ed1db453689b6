"""Project paths (cookiecutter-data-science style: only paths live here)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = Path(os.environ.get("ZAITAKU_ROOT", PACKAGE_DIR.parent)).resolve()
DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
DEMO_RAW_DIR = RAW_DATA_DIR / "demo"
REFERENCE_DIR = RAW_DATA_DIR / "reference"
PROCESSED_DATA_DIR = DATA_DIR / "processed"
REPORTS_DIR = PROJ_ROOT / "reports"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
REFERENCE_PACKAGE_DIR = PACKAGE_DIR / "reference"
CODEBOOK_DIR = REFERENCE_PACKAGE_DIR / "codebooks"
PACKAGE_DATA_DIR = REFERENCE_PACKAGE_DIR / "data"
SHARED_CHARTS_ENV = "ZAITAKU_CHART_CACHE"  # names the folder where one render batch's kernels share charts
