"""The Streamlit app's state, cached reads and widgets; the pages ask this layer for everything."""
