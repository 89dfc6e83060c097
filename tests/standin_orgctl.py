"""``python -m tests.standin_orgctl ARGS``: orgctl with the schema-checked ``pulumi_akeyless``.

For machines where the Pulumi CLI (which generates the real SDK) is absent, as in
CI here: the stand-in registers the real type tokens and rejects unknown or
missing arguments, so the render is checked against the provider's schema.
Users run ``python -m scripts.orgctl`` after ``pulumi install``.
"""

from __future__ import annotations

import sys

from tests.akeyless_standin import akeyless_sdk

if __name__ == "__main__":
    akeyless_sdk()
    from scripts.orgctl import main

    sys.exit(main())
