"""Corpus builders: every module here defining ``build(out_dir: pathlib.Path) -> None`` is run by
``corpus/build.py`` (``out_dir`` is the ``corpus/`` directory)."""
