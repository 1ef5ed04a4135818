"""Scheduled jobs: a registry of named jobs, each run at most once per schedule slot, and the loop that runs them."""
