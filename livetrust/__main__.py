import sys

from livetrust.cli import main

sys.exit(main())
