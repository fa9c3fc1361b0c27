"""A custom Keras layer for the benign corpus (``benign.py``): the training script imports it, and the
model ships it with ``code_paths``. Keras 3 finds a custom class only by its registered name, so the
model's loader imports this module (which registers ``ScaleShift``) before loading the ``.keras`` file.
Not a builder: it defines no ``build``."""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="benign")
class ScaleShift(keras.layers.Layer):
    """``inputs * scale + shift``, with a learned scale per feature and a fixed shift."""

    def __init__(self, shift: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shift = shift

    def build(self, input_shape: Any) -> None:
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs: Any) -> Any:
        return inputs * self.scale + self.shift

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "shift": self.shift}
