"""In-tree vertical plugins. Each loads through the ``doorstep.plugins`` entry-point group."""
