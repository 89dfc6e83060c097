"""Test-only: trust the end-to-end runs' local TLS fake of the Akeyless Gateway API.

On PYTHONPATH of the end-to-end runs only (the program and its dynamic-provider processes).
The official ``akeyless`` SDK verifies TLS against ``certifi.where()`` and no environment
variable changes that (akeyless/rest.py, ``RESTClientObject.__init__``), so when
``AKEYLESS_E2E_CA_BUNDLE`` names the fake's self-signed certificate, ``certifi.where`` returns
it instead of the public roots.
"""

import os

_bundle = os.environ.get("AKEYLESS_E2E_CA_BUNDLE", "")
if _bundle:
    import certifi

    def _where() -> str:
        return _bundle

    certifi.where = _where
