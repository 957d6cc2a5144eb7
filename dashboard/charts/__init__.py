"""Plotly figures: pure functions of the frames the layers below return."""
