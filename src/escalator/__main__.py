"""`python -m escalator` runs the command line."""

from escalator.cli.app import main

main()
