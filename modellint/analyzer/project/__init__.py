"""Training projects: the save/log calls in them and the model those calls would write."""
