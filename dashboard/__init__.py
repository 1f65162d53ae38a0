"""Junheng 均衡: the domain package (pure; nothing here imports streamlit except cache.py)."""

__version__ = "0.1.0"
