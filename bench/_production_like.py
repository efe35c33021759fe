"""Run gunicorn as in a server install (`pip install pumpjack`, no extras): hide the packages that
only the `test` and `client` extras put in this virtual environment, which Django REST framework
imports optionally when they are present (`requests`, `pygments`, `markdown`), so that memory
figures are those of a server."""

import sys

TEST_ONLY = ("requests", "pygments", "markdown")
for name in TEST_ONLY:
    sys.modules[name] = None  # "import requests" now raises ImportError, as without the package

from gunicorn.app.wsgiapp import run  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "gunicorn"
    sys.exit(run())
