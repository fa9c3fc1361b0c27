"""The model's code: every import its Python files make, where each would come from, and syntax
newer than the Python it declares."""
