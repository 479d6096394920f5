"""``python -m zylon_core.doctor``: the same as the ``zylon-doctor`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
