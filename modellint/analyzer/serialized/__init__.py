"""The serialized files a model ships (pickles, joblib, torch zips) and what loading them would
import and call, read without unpickling."""
