"""Gradio demos of the models the lessons train. ``python -m demos`` serves them all."""
