"""Only the functions that carry the PDF layer may load WeasyPrint or pypdf: the others have neither on Lambda."""

import json
import subprocess
import sys
from pathlib import Path

from panelist_local.template import Template

ROOT = Path(__file__).resolve().parents[2]
PDF_ONLY = ("weasyprint", "pypdf")

# In a fresh interpreter, as Lambda would: the PDF-only packages made unimportable, then each handler imported.
PROBE = """
import importlib.util, json, sys
import tests.conftest
for name in {blocked!r}:
    sys.modules[name] = None
failures = {{}}
for folder in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location(f"app_{{folder}}", f"functions/{{folder}}/app.py")
    try:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    except ImportError as exc:
        failures[folder] = str(exc)
print(json.dumps(failures))
"""


def test_functions_without_the_pdf_layer_never_import_weasyprint_or_pypdf():
    template = Template.load(ROOT / "template.yaml", {"Stage": "test"}, local=True)
    resources = template.body["Resources"]
    plain, with_pdf = [], []
    for fn in template.functions.values():
        layers = json.dumps(resources[fn.logical_id]["Properties"].get("Layers") or [])
        (with_pdf if "PdfLayer" in layers else plain).append(fn.code_dir.name)
    assert {"export_report", "share_report", "render_report", "get_session_pdf", "analyse_session"} <= set(with_pdf)
    assert {"view_shared_report", "open_report_file", "list_report_shares"} <= set(plain)
    probe = PROBE.format(blocked=PDF_ONLY)
    result = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(sorted(plain))], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {}
