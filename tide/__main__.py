"""`python -m tide` is the `tide` command."""

from tide.cli.main import main

main()
