import sys

from tests.e2e.stack.cli import main

sys.exit(main())
