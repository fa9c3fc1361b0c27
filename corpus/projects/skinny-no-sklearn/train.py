import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

from mlflow.pyfunc import PythonModel

X = pd.DataFrame(
    {"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]}
)
y = [0, 0, 0, 1, 1, 1]
clf = LogisticRegression(random_state=0).fit(X, y)


class Wrapped(PythonModel):
    def __init__(self, clf):
        self.clf = clf

    def predict(self, context, model_input, params=None):
        return self.clf.predict(model_input).tolist()


mlflow.pyfunc.save_model(
    "model",
    python_model=Wrapped(clf),
    input_example=X.head(2),
    pip_requirements=["mlflow-skinny==3.17.2", "cloudpickle==3.1.2", "pandas==3.1.1"],
)
