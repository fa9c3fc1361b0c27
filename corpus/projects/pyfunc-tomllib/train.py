import mlflow
import pandas as pd

mlflow.pyfunc.save_model(
    "model",
    python_model="model_code.py",
    input_example=pd.DataFrame({"x": [1, 2]}),
)
