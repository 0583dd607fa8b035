"""The Streamlit playground's UI helpers (pages stay thin; no ranking logic here).

Only this package and the page scripts import Streamlit; ``ltrr`` never does.
"""
