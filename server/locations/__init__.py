"""Locations: the warehouse > zone > bin tree and the virtual locations of the outside world."""
