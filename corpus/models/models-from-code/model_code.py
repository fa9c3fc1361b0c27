import mlflow
from mlflow.pyfunc import PythonModel


class TextLength(PythonModel):
    def predict(self, context, model_input, params=None):
        return [len(t) for t in model_input["text"]]


mlflow.models.set_model(TextLength())
