"""Reusable pieces of the Streamlit pages (render only, like the pages themselves)."""
