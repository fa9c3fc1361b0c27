"""The analyzer reads files and turns them into facts with source positions; it never judges."""
