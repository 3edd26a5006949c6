"""``python -m triage``: the same as the ``triage`` command."""

from triage.cli import main

if __name__ == "__main__":  # not when a spawned worker process imports this module again
    main()
