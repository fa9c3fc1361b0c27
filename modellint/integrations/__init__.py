"""Glue for running modellint inside other tools: the pre-commit hook and the GitHub Action.

Each module does one integration's translation (changed files -> lint targets; runner
environment -> report files and outputs) and leaves linting and rendering to the engine and
the reporters.
"""
