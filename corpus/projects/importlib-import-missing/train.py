import importlib

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class Table(PythonModel):
    def predict(self, context, model_input, params=None):
        tab = importlib.import_module("tabulate")
        return [tab.tabulate([[v]]) for v in model_input["x"]]


mlflow.pyfunc.save_model(
    "model",
    python_model=Table(),
    input_example=pd.DataFrame({"x": [1, 2]}),
    pip_requirements=["cloudpickle==3.1.2", "pandas==3.1.1"],
)
