import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

pd.DataFrame({"code": ["a", "b"], "price": [1.5, 2.5]}).to_excel(
    "prices.xlsx", index=False
)


class Prices(PythonModel):
    def load_context(self, context):
        table = pd.read_excel(context.artifacts["prices"])
        self.prices = dict(zip(table["code"], table["price"]))

    def predict(self, context, model_input, params=None):
        return [self.prices.get(c) for c in model_input["code"]]


mlflow.pyfunc.save_model(
    "model",
    python_model=Prices(),
    artifacts={"prices": "prices.xlsx"},
    input_example=pd.DataFrame({"code": ["a", "b"]}),
    pip_requirements=["cloudpickle==3.1.2", "pandas==3.1.1"],
)
