"""A model's signature and input example, parsed and compared without mlflow."""
