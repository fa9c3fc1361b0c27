from mlflow.pyfunc import PythonModel

from src.utils import double


class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        return double(model_input["x"].tolist())
