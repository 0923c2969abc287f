"""The operators' dashboard, its JSON view, /healthz, and the counting behind them."""
