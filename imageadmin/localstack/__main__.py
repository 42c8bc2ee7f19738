"""`python -m imageadmin.localstack`: what `make run` runs."""

import sys

from imageadmin.localstack.supervisor import main

sys.exit(main())
