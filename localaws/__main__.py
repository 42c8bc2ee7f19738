"""`python -m localaws`: what `make run` runs."""

import sys

from localaws.supervisor import main

sys.exit(main())
