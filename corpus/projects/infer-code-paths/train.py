import mlflow
import pandas as pd

from my_model import Doubler

mlflow.pyfunc.save_model(
    "model",
    python_model=Doubler(),
    infer_code_paths=True,
    input_example=pd.DataFrame({"x": [1, 2, 3]}),
)
