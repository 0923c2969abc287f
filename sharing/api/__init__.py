"""HTTP edge: the /api resources and the original /encrypt, /decrypt routes."""
