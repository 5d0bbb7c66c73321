"""rules_executorch model zoo: load a model, wrap it for a task, lower it with a recipe."""
