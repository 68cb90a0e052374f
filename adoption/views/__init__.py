"""Views, one module per area. Thin: parse the request, call a query or service, render."""
