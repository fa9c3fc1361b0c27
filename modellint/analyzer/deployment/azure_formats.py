"""The request formats Azure ML online endpoints do not take, shared by ML602 (a stored serving payload
in one of them) and `modellint request` (which converts each to a format they list, or says why not).

The "Input formats" table of https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-mlflow-models
lists, for online endpoints, split-oriented data frames and tensors (a list, or a dictionary of
named lists), always "in the dictionary key `input_data`" ("Input structure"); it leaves out
records-oriented frames and the TF Serving API, and lists nothing like MLflow's unified chat,
completions and embeddings payload.
"""

from __future__ import annotations

# MLflow scoring-server payload forms, as `Payload.form` names them, and what each is.
AZURE_UNLISTED_FORMS = {
    "dataframe_records": "a records-oriented data frame (`dataframe_records`)",
    "instances": "a TF-serving request (`instances`)",
    "llm": "MLflow's chat, completions or embeddings payload (`messages`, `prompt` or `input` at the top level)",
}
