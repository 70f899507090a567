"""The ``doorstep`` command line: the agencies' tool."""
