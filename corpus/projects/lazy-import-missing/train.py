import mlflow
from mlflow.pyfunc import PythonModel


class Table(PythonModel):
    def predict(self, context, model_input, params=None):
        import tabulate

        return [tabulate.tabulate([[v]]) for v in model_input["x"]]


mlflow.pyfunc.save_model("model", python_model=Table())
