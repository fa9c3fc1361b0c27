import mlflow
import pandas as pd

mlflow.pyfunc.save_model(
    "model",
    loader_module="my_loader",
    data_path="weights.txt",
    code_paths=["inference/my_loader.py"],
    input_example=pd.DataFrame({"x": [1.0, 2.0]}),
)
