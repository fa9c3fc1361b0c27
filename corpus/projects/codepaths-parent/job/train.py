import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        from src.utils import double

        return double(model_input["x"].tolist())


mlflow.pyfunc.save_model(
    "model",
    python_model=Doubler(),
    code_paths=["../src"],
    input_example=pd.DataFrame({"x": [1, 2, 3]}),
)
