"""`python -m dashboard`: runs the command line of dashboard/cli.py."""
from dashboard.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
