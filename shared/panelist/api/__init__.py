"""The three API surfaces. A handler picks its surface's module: `xobin`, `jobmojito` or `relay`."""
