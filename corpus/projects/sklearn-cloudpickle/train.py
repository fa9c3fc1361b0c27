import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

X = pd.DataFrame(
    {"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]}
)
y = [0, 0, 0, 1, 1, 1]
clf = LogisticRegression(random_state=0).fit(X, y)

mlflow.sklearn.save_model(
    clf, "model", serialization_format="cloudpickle", input_example=X.head(2)
)
