#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from config.embedded import EmbeddedServiceError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except EmbeddedServiceError as exc:  # a clear message, not a traceback
        sys.stderr.write(f"\n{exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
