"""Allow `python -m leadscore_cli`."""

from leadscore_cli.cli.app import main

if __name__ == "__main__":
    main()
