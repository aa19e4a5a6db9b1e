"""Write (or, with --check, compare) the published OpenAPI schema: docs/openapi.json."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from tollhouse.bootstrap import build_app
from tollhouse.config import Settings

TARGET = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def schema() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Settings(database_url=f"sqlite:///{tmp}/schema.sqlite3", run_worker=False))
        return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    current = schema()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != current:
            sys.stderr.write("docs/openapi.json is out of date: run scripts/openapi\n")
            return 1
        return 0
    TARGET.write_text(current, encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
