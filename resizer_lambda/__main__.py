"""Allow `python -m resizer_lambda`."""

from resizer_lambda.cli import main

raise SystemExit(main())
