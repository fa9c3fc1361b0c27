import tomllib

import mlflow
from mlflow.pyfunc import PythonModel

CONFIG = tomllib.loads("factor = 10")


class Scale(PythonModel):
    def predict(self, context, model_input, params=None):
        return [v * CONFIG["factor"] for v in model_input["x"]]


mlflow.models.set_model(Scale())
