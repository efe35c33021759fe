"""Run gunicorn as in a production install: hide the packages that only the test extras put in
this virtual environment (Django REST framework imports them optionally when they are present:
`requests`, `pygments`, `markdown`), so that memory figures are those of a server install."""

import sys

TEST_ONLY = ("requests", "pygments", "markdown")
for name in TEST_ONLY:
    sys.modules[name] = None  # "import requests" now raises ImportError, as without the package

from gunicorn.app.wsgiapp import run  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "gunicorn"
    sys.exit(run())
