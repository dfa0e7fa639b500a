"""``python -m openai_cost``: the command line."""

from ._cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
